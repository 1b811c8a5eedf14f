/**
 * Name rules shared by every adapter, so a name that works embedded also works on NATS (where queue names become
 * subject tokens and durable consumer names, and topics become subjects).
 */
import { ValidationError } from '../core/errors.js';

const queueNamePattern = /^[A-Za-z0-9_-]{1,64}$/;
const topicTokenPattern = /^[^\s.*>]+$/;

export function assertQueueName(queue: string): void {
  if (!queueNamePattern.test(queue))
    throw new ValidationError(`invalid queue name ${JSON.stringify(queue)}: use 1-64 letters, digits, - and _`, { queue });
}

/** A concrete topic to publish on: dot-separated tokens without wildcards, e.g. `chat.42.tokens`. */
export function assertTopic(topic: string): void {
  if (!splitTopic(topic).every((token) => topicTokenPattern.test(token)))
    throw new ValidationError(`invalid topic ${JSON.stringify(topic)}: dot-separated words without spaces or wildcards`, { topic });
}

/** A subscription pattern: like a topic, where `*` matches one token and a final `>` matches one or more. */
export function assertTopicPattern(pattern: string): void {
  const tokens = splitTopic(pattern);
  const valid = tokens.every(
    (token, index) => topicTokenPattern.test(token) || token === '*' || (token === '>' && index === tokens.length - 1),
  );
  if (!valid)
    throw new ValidationError(`invalid topic pattern ${JSON.stringify(pattern)}: use words, \`*\` for one word and a final \`>\``, {
      topic: pattern,
    });
}

export function assertKvKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) throw new ValidationError('kv keys must be non-empty strings', { key });
}

/** NATS-style matching: `*` matches exactly one token, a final `>` matches one or more remaining tokens. */
export function topicMatches(pattern: string, topic: string): boolean {
  const patternTokens = splitTopic(pattern);
  const topicTokens = splitTopic(topic);
  for (let index = 0; index < patternTokens.length; index++) {
    const token = patternTokens[index];
    if (token === '>') return topicTokens.length > index;
    if (index >= topicTokens.length) return false;
    if (token !== '*' && token !== topicTokens[index]) return false;
  }
  return patternTokens.length === topicTokens.length;
}

function splitTopic(topic: string): string[] {
  return typeof topic === 'string' ? topic.split('.') : [''];
}
