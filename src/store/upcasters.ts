/**
 * Upcasters turn stored events of an older shape into the current one as they are read (readStream, readAll,
 * subscribe), so the log is never rewritten and old rows read as new. See docs/naming.md.
 */
import { ValidationError } from '../core/errors.js';

export interface EventUpcaster {
  /** The stored type this upcaster reads. At most one upcaster per type. */
  fromType: string;
  /**
   * The type `upcast` returns; the same as `fromType` for a data-only change. Declare it so type filters stay exact;
   * without it, readers filtering by type also fetch every `fromType` event and filter after upcasting.
   */
  toType?: string;
  /**
   * Runs on every stored event of `fromType`, whichever version wrote it: data already in the current shape must come
   * back unchanged.
   */
  upcast(event: { type: string; data: unknown }): { type: string; data: unknown };
}

/** What to ask the database for when a reader filters by `types`. */
export interface StoredTypeQuery {
  /** Every stored name that may read as one of the requested types. */
  storedTypes: string[];
  /** True when some stored names may read as another type, so results must be filtered after upcasting. */
  filterAfterUpcast: boolean;
}

export class UpcasterRegistry {
  private readonly byType = new Map<string, EventUpcaster>();

  constructor(upcasters: readonly EventUpcaster[] = []) {
    this.register(upcasters);
  }

  get size(): number {
    return this.byType.size;
  }

  register(upcasters: readonly EventUpcaster[]): void {
    for (const upcaster of upcasters) {
      if (typeof upcaster.fromType !== 'string' || upcaster.fromType === '')
        throw new ValidationError('an event upcaster needs a non-empty fromType');
      if (this.byType.has(upcaster.fromType))
        throw new ValidationError(`two event upcasters read the stored type '${upcaster.fromType}'; keep one per type`);
      this.byType.set(upcaster.fromType, upcaster);
    }
  }

  /** Applies the chain of upcasters starting at the event's type, each at most once. */
  upcast<Event extends { type: string; data: unknown }>(event: Event): Event {
    if (this.byType.size === 0) return event;
    let current: { type: string; data: unknown } = { type: event.type, data: event.data };
    const applied = new Set<string>();
    for (;;) {
      const upcaster = this.byType.get(current.type);
      if (!upcaster || applied.has(upcaster.fromType)) break;
      applied.add(upcaster.fromType);
      const next = upcaster.upcast(current);
      if (upcaster.toType !== undefined && next.type !== upcaster.toType)
        throw new ValidationError(
          `the upcaster of '${upcaster.fromType}' declares toType '${upcaster.toType}' but returned '${next.type}'`,
        );
      current = next;
    }
    if (current.type === event.type && current.data === event.data) return event;
    return { ...event, type: current.type, data: current.data };
  }

  /** The stored names to query for a filter on (current) `types`. */
  storedTypesFor(types: readonly string[]): StoredTypeQuery {
    const names = new Set(types);
    let filterAfterUpcast = false;
    for (let grew = true; grew; ) {
      grew = false;
      for (const upcaster of this.byType.values()) {
        if (names.has(upcaster.fromType)) continue;
        if (upcaster.toType === undefined || names.has(upcaster.toType)) {
          names.add(upcaster.fromType);
          if (upcaster.toType === undefined) filterAfterUpcast = true;
          grew = true;
        }
      }
    }
    for (const type of types) {
      const upcaster = this.byType.get(type);
      if (upcaster && (upcaster.toType === undefined || upcaster.toType !== type)) filterAfterUpcast = true;
    }
    return { storedTypes: [...names], filterAfterUpcast };
  }
}
