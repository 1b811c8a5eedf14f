/**
 * Todoist import through API v1 with a personal token (OAuth and the token vault come with the trust issue; the token
 * is used for this one import and never stored or logged). Reads `GET /tasks` (cursor-paginated) and `GET /projects`
 * and maps each active task to a task signal. Only what the recommender needs is kept: id, title, project name,
 * due time, priority, duration.
 */
import { AppError, ValidationError } from '../../../core/errors.js';
import type { TaskSignal } from '../../domain/events.js';
import { isValidTimeZone, zonedTimeToEpoch } from '../../domain/time.js';

interface TodoistDue {
  date?: string;
  datetime?: string | null;
  timezone?: string | null;
  is_recurring?: boolean;
}

interface TodoistTask {
  id: string;
  content: string;
  project_id?: string;
  priority?: number;
  due?: TodoistDue | null;
  duration?: { amount: number; unit: 'minute' | 'day' } | null;
  checked?: boolean;
  is_deleted?: boolean;
}

interface Page<T> {
  results: T[];
  next_cursor?: string | null;
}

export interface TodoistImportOptions {
  baseUrl: string;
  token: string;
  /** The user's zone, for date-only and floating due times. */
  timeZone: string;
  fetch?: typeof fetch;
  signal?: AbortSignal;
  /** Stop after this many pages (guard). */
  maxPages?: number;
}

export async function fetchTodoistTasks(options: TodoistImportOptions): Promise<TaskSignal[]> {
  if (options.token.trim() === '') throw new ValidationError('a Todoist API token is required');
  const projects = await readAll<{ id: string; name: string }>(options, '/projects');
  const projectNames = new Map(projects.map((project) => [project.id, project.name]));
  const tasks = await readAll<TodoistTask>(options, '/tasks');
  return tasks
    .filter((task) => !task.checked && !task.is_deleted && task.content?.trim())
    .map((task) => toSignal(task, projectNames, options.timeZone));
}

async function readAll<T>(options: TodoistImportOptions, path: string): Promise<T[]> {
  const fetcher = options.fetch ?? fetch;
  const out: T[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < (options.maxPages ?? 50); page++) {
    const url = new URL(`${options.baseUrl.replace(/\/+$/, '')}${path}`);
    url.searchParams.set('limit', '200');
    if (cursor) url.searchParams.set('cursor', cursor);
    let response: Response;
    try {
      response = await fetcher(url, {
        headers: { authorization: `Bearer ${options.token}`, accept: 'application/json' },
        signal: options.signal ?? null,
      });
    } catch (error) {
      throw new AppError('validation_failed', `Todoist is unreachable: ${(error as Error).message}`);
    }
    if (response.status === 401 || response.status === 403)
      throw new AppError('unauthorized', 'Todoist refused the token (401/403); check it and try again');
    if (!response.ok) throw new AppError('validation_failed', `Todoist answered ${response.status} for ${path}`);
    const body = (await response.json()) as Page<T> | T[];
    // v1 pages its lists; tolerate a bare array too.
    const items = Array.isArray(body) ? body : body.results;
    out.push(...(items ?? []));
    cursor = Array.isArray(body) ? undefined : (body.next_cursor ?? undefined);
    if (!cursor) break;
  }
  return out;
}

export function toSignal(task: TodoistTask, projectNames: ReadonlyMap<string, string>, timeZone: string): TaskSignal {
  const due = dueOf(task.due, timeZone);
  const project = task.project_id ? projectNames.get(task.project_id) : undefined;
  const duration = task.duration ? (task.duration.unit === 'day' ? task.duration.amount * 480 : task.duration.amount) : undefined;
  return {
    taskId: `todoist-${task.id}`,
    title: task.content.trim().slice(0, 300),
    ...(project ? { project: project.slice(0, 120) } : {}),
    ...(due ? { dueAt: due.at, dueAllDay: due.allDay } : {}),
    priority: Math.min(4, Math.max(1, Math.round(task.priority ?? 1))),
    ...(duration ? { durationMinutes: Math.min(1_440, Math.max(1, Math.round(duration))) } : {}),
    done: false,
    source: 'todoist',
  };
}

/** A date-only due is the end of that day in the user's zone; a floating date-time is in the task's or the user's zone. */
function dueOf(due: TodoistDue | null | undefined, timeZone: string): { at: number; allDay: boolean } | undefined {
  const text = due?.datetime ?? due?.date;
  if (!text) return undefined;
  const dateOnly = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (dateOnly) {
    const [year, month, day] = dateOnly.slice(1).map(Number) as [number, number, number];
    return { at: zonedTimeToEpoch({ year, month, day, hour: 23, minute: 59, second: 59 }, timeZone), allDay: true };
  }
  if (/[zZ]$|[+-]\d{2}:?\d{2}$/.test(text)) {
    const at = Date.parse(text);
    return Number.isFinite(at) ? { at, allDay: false } : undefined;
  }
  const floating = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/.exec(text);
  if (!floating) return undefined;
  const [year, month, day, hour, minute, second] = floating.slice(1).map((part) => Number(part ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const zone = due?.timezone && isValidTimeZone(due.timezone) ? due.timezone : timeZone;
  return { at: zonedTimeToEpoch({ year, month, day, hour, minute, second }, zone), allDay: false };
}
