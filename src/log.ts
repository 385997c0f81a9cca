import { type Logger, pino } from 'pino';
import PinoPretty from 'pino-pretty';
import type { Config } from './config.js';

/**
 * The process's logger, on stdout: JSON lines (pino), or with `--log-format pretty` coloured lines for people
 * (pino-pretty, in this process, colours on a terminal only). A reader of stdout that went away (EPIPE) ends the
 * logging, not the process.
 */
export function createLogger(config: Pick<Config, 'logLevel' | 'logFormat'>): Logger {
  const options = { level: config.logLevel };
  const stdout = pino.destination({ fd: 1, sync: true });
  if (config.logFormat === 'json') return pino(options, stdout);
  return pino(options, PinoPretty({ destination: stdout, colorize: process.stdout.isTTY === true }));
}
