/** What every village route plugin gets from the wiring: the use cases and the access settings, nothing else. */
import type { VillageService } from '../services/village-service.js';
import type { AdminAccess, readRateLimit } from './guards.js';

export interface VillageRouteOptions {
  service: VillageService;
  /** `[server]` host and admin token: admin routes need the token (or the admin cookie) when one is set. */
  access: AdminAccess;
  /** Per-client rate limit of public reads, shared by the routes of one group (API or pages). */
  limited: ReturnType<typeof readRateLimit>;
}
