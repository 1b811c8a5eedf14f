export * from './command-handler.js';
export * from './database.js';
export * from './dialect/index.js';
export * from './event-store.js';
export * from './migrations.js';
export * from './projections.js';
export * from './snapshots.js';
export { storeMigrations } from './store-migrations.js';
export * from './upcasters.js';
