import { randomBytes, randomUUID } from 'node:crypto';

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** Stored timestamps: ISO-8601 UTC with milliseconds; sorts as text. */
export const isoNow = (clock: Clock): string => clock.now().toISOString();

/** Glance and IMS wire timestamps: seconds resolution with a literal Z. */
export const wireTime = (iso: string): string => `${iso.slice(0, 19)}Z`;

/** 32 lowercase hex characters: Keystone-style project, user and job ids. */
export const hexId = (): string => randomBytes(16).toString('hex');

export const uuid = (): string => randomUUID();

export const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
export const PROJECT_ID_RE = /^[0-9a-f]{32}$/;
