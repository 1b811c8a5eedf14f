import type { FastifyRequest } from 'fastify';
import type { TipsService } from '../services/index.js';

/** The tips service of a request's user: the configured user in local mode, the session's user with accounts. */
export type ServiceFor = (request: FastifyRequest) => TipsService;
