export * from './clock.js';
export * from './config.js';
export * from './errors.js';
export * from './ids.js';
export * from './logger.js';
export * from './math.js';
export * from './rng.js';
export * from './sleep.js';
export { version } from './version.js';
