/** Tallies a run as it goes (events by type, render decisions by channel, relationship changes) and prints a summary. */
import type { Channel } from '../domain/catalog-schema.js';
import type { RenderOutcome, VillageEvent } from '../domain/events.js';
import type { Relationship, VillageState } from '../domain/state.js';

export interface RelationshipChange {
  from: string;
  to: string;
  affinity: number;
  trust: number;
  respect: number;
}

export class SimulationTally {
  readonly eventsByType = new Map<string, number>();
  readonly happeningsByType = new Map<string, number>();
  readonly renders = new Map<Channel, Record<RenderOutcome, number>>();
  readonly participation = new Map<string, number>();
  events = 0;
  happenings = 0;
  newsWorthy = 0;
  private readonly initial: Record<string, Relationship>;
  private readonly newsThreshold: number;

  constructor(initialState: VillageState, newsThreshold: number) {
    this.initial = structuredClone(initialState.relationships);
    this.newsThreshold = newsThreshold;
  }

  add(event: VillageEvent): void {
    this.events += 1;
    this.eventsByType.set(event.type, (this.eventsByType.get(event.type) ?? 0) + 1);
    if (event.type !== 'village_event') return;
    const happening = event.data;
    this.happenings += 1;
    if (happening.impact.score >= this.newsThreshold) this.newsWorthy += 1;
    this.happeningsByType.set(happening.type, (this.happeningsByType.get(happening.type) ?? 0) + 1);
    for (const npc of [...happening.actors, ...happening.targets]) this.participation.set(npc, (this.participation.get(npc) ?? 0) + 1);
    for (const decision of happening.renders) {
      const counts = this.renders.get(decision.channel) ?? { render: 0, below_threshold: 0, over_budget: 0 };
      counts[decision.outcome] += 1;
      this.renders.set(decision.channel, counts);
    }
  }

  /** Relationship changes from the start of the run, biggest first (sum of absolute changes). */
  relationshipChanges(finalState: VillageState): RelationshipChange[] {
    const changes: RelationshipChange[] = [];
    for (const [key, edge] of Object.entries(finalState.relationships)) {
      const before = this.initial[key] ?? { affinity: 0, trust: 0.3, respect: 0.3, tags: [] };
      const [from = '', to = ''] = key.split('|');
      changes.push({
        from,
        to,
        affinity: round(edge.affinity - before.affinity),
        trust: round(edge.trust - before.trust),
        respect: round(edge.respect - before.respect),
      });
    }
    const size = (change: RelationshipChange) => Math.abs(change.affinity) + Math.abs(change.trust) + Math.abs(change.respect);
    return changes.sort((left, right) => size(right) - size(left) || (left.from + left.to < right.from + right.to ? -1 : 1));
  }

  format(finalState: VillageState, limit = 10): string {
    const lines: string[] = [];
    lines.push(`Events: ${this.events} (${this.happenings} village events, ${this.newsWorthy} NEWS-worthy)`);
    lines.push('', 'Village events by type');
    lines.push(...table(['type', 'count'], sortedCounts(this.happeningsByType)));
    lines.push('', 'Log events by kind');
    lines.push(...table(['kind', 'count'], sortedCounts(this.eventsByType)));
    lines.push('', 'Render decisions by channel');
    lines.push(
      ...table(
        ['channel', 'render', 'below threshold', 'over budget'],
        (['FEED', 'CHAT', 'NEWS'] as const).map((channel) => {
          const counts = this.renders.get(channel) ?? { render: 0, below_threshold: 0, over_budget: 0 };
          return [channel, String(counts.render), String(counts.below_threshold), String(counts.over_budget)];
        }),
      ),
    );
    lines.push('', 'Biggest relationship changes');
    lines.push(
      ...table(
        ['from', 'to', 'affinity', 'trust', 'respect'],
        this.relationshipChanges(finalState)
          .slice(0, limit)
          .map((change) => [change.from, change.to, signed(change.affinity), signed(change.trust), signed(change.respect)]),
      ),
    );
    return lines.join('\n');
  }
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

function signed(value: number): string {
  return `${value > 0 ? '+' : ''}${value.toFixed(3)}`;
}

function sortedCounts(counts: Map<string, number>): string[][] {
  return [...counts.entries()]
    .sort((left, right) => right[1] - left[1] || (left[0] < right[0] ? -1 : 1))
    .map(([key, count]) => [key, String(count)]);
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join('  ');
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)];
}
