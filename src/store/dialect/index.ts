export * from './adapter.js';
export { createPostgresAdapter } from './postgres.js';
export { sqliteAdapter } from './sqlite.js';
