/** The village's own config section, `[village]` in config.toml. */
import type { Config } from '../core/config.js';

export type VillageConfig = Config['village'];
