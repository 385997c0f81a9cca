import { Type } from '@sinclair/typebox';

const imageId = Type.String({ description: 'Image id (UUID)' });

/** `/images/{id}...` */
export const IMAGE_PARAMS = Type.Object({ id: imageId });

/** `/images/{id}/members/{member}` */
export const MEMBER_PARAMS = Type.Object({ id: imageId, member: Type.String({ description: 'Member id (a project id)' }) });

/** `/images/{id}/tags/*` (the tag is a wildcard: image-actions.ts). */
export const TAG_PARAMS = Type.Object({ id: imageId, '*': Type.String({ description: 'The tag (at most 255 characters)' }) });
