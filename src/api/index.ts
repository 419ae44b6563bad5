/**
 * The Agent API exactly as sent on the wire: TypeScript types and one runtime schema per body.
 * The emulator validates requests with these; the client parses replies leniently with them.
 */
export * from './variables.js';
export * from './messages.js';
export * from './requests.js';
export * from './responses.js';
export * from './paths.js';
export * from './hosts.js';
