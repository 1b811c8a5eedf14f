/**
 * The writer's prompt for a render job, and the offline writer's context. Stable prefix first (the author's persona
 * and the channel's style), the event last, so llama.cpp / vLLM prefix caching can reuse the persona part.
 */
import type { Channel, Language } from '../../domain/catalog-schema.js';
import { defaultTone, type GeneratedPost, type Tone } from '../../domain/posts.js';
import { joinNames, type PromptContext, type RenderJobPayload } from './render-job.js';

export interface ChatMessageLike {
  role: 'system' | 'user';
  content: string;
}

const rules: Record<Language, string> = {
  fi: 'Kirjoita suomeksi. Ei linkkejä. Jos olet epävarma, vihjaa epävarmuus. Älä keksi uusia henkilöitä.',
  en: 'Write in English. No links. If you are unsure, say so. Do not invent new people.',
};

function persona(context: PromptContext): string {
  const { author } = context;
  if (context.language === 'fi')
    return [
      `Olet ${author.name}, ${author.age}, ${author.occupation}, Koivulahden kylästä.`,
      author.reporterOf ? `Kirjoitat toimittajana lehteen ${author.reporterOf}.` : '',
      `Luonteesi: ${author.traits.join(', ')}. Arvosi: ${author.values.join(', ')}.`,
      `Puhetyylisi: ${author.speechStyle}`,
    ]
      .filter((line) => line !== '')
      .join('\n');
  return [
    `You are ${author.name}, ${author.age}, ${author.occupation}, from the village of Koivulahti.`,
    author.reporterOf ? `You write as a reporter for ${author.reporterOf}.` : '',
    `Traits: ${author.traits.join(', ')}. Values: ${author.values.join(', ')}.`,
    `Speech style: ${author.speechStyle}`,
  ]
    .filter((line) => line !== '')
    .join('\n');
}

export function buildMessages(job: RenderJobPayload): ChatMessageLike[] {
  const context = job.prompt_context;
  const fi = context.language === 'fi';
  const { event } = context;
  const memories = context.memories.map(
    (memory) =>
      `- ${memory.typeName} (${joinNames(memory.with, context.language) || '-'}), ${fi ? 'tärkeys' : 'importance'} ${memory.importance}`,
  );
  const relationships = context.relationships.map(
    (edge) =>
      `- ${edge.with}: ${fi ? 'kiintymys' : 'affinity'} ${edge.affinity}, ${fi ? 'luottamus' : 'trust'} ${edge.trust}, ${fi ? 'arvostus' : 'respect'} ${edge.respect}${edge.tags.length > 0 ? ` (${edge.tags.join(', ')})` : ''}`,
  );
  const eventLines = [
    `${fi ? 'Tapahtuma' : 'Event'}: ${event.typeName} (${event.id})`,
    `${fi ? 'Aika' : 'Time'}: ${event.simTime}; ${fi ? 'sää' : 'weather'}: ${event.weather}`,
    `${fi ? 'Paikka' : 'Place'}: ${event.place.name}`,
    `${fi ? 'Tekijät' : 'Actors'}: ${joinNames(
      event.actors.map((actor) => actor.name),
      context.language,
    )}`,
    `${fi ? 'Kohteet' : 'Targets'}: ${
      joinNames(
        event.targets.map((target) => target.name),
        context.language,
      ) || '-'
    }`,
    event.topic ? `${fi ? 'Aihe' : 'Topic'}: ${event.topic}` : '',
  ].filter((line) => line !== '');
  return [
    {
      role: 'system',
      content: `${persona(context)}\n\n${fi ? 'Kanavan tyyli' : 'Channel style'} (${job.channel}): ${context.channelStyle}\n${rules[context.language]}`,
    },
    {
      role: 'user',
      content: [
        memories.length > 0 ? `${fi ? 'Muistosi' : 'Your memories'}:\n${memories.join('\n')}` : '',
        relationships.length > 0 ? `${fi ? 'Suhteesi muihin' : 'How you relate to the others'}:\n${relationships.join('\n')}` : '',
        eventLines.join('\n'),
        context.instruction,
        fi
          ? `Vastaa yhdellä JSON-objektilla: channel="${job.channel}", author_id="${job.author_id}", source_event_id="${job.source_event_id}", tone, text, tags, safety_notes.`
          : `Answer with one JSON object: channel="${job.channel}", author_id="${job.author_id}", source_event_id="${job.source_event_id}", tone, text, tags, safety_notes.`,
      ]
        .filter((part) => part !== '')
        .join('\n\n'),
    },
  ];
}

/** FEED posts about a conflict: the author is a party to it, so no thanks for the company. */
const conflictFeed: Record<Language, string[]> = {
  fi: [
    'Ei voi olla totta. {typeCap} tänään, vastapuolena {with}. Kyse oli aiheesta {topic}. ({place})',
    'Sanonpa suoraan: {topic} ei ole mikään pikkuasia. {typeCap}, ja {with} tietää kyllä miksi. ({place})',
    'Pitää vähän purkaa tuntoja. {typeCap} – aiheena {topic}. Toivottavasti asia selviää. ({place})',
  ],
  en: ['Unbelievable. {typeCap} today with {with}, over {topic}. ({place})'],
};

/** Finnish (and English) post templates for the offline writer; `{placeholders}` come from `offlineContext`. */
const offlineTemplates: Record<Language, Record<Channel, string[]>> = {
  fi: {
    FEED: [
      '{typeCap} tänään, seurana {with}. Puheeksi tuli {topic}. ({place})',
      'Pakko jakaa: {type} ja aiheena {topic}. Kiitos seurasta, {with}! ({place})',
      'No niin. {typeCap} – ja taas puhuttiin aiheesta {topic}. Mitä mieltä te muut olette? ({place})',
      'Päivän fiilis: {type}, {weather}. {with} tietää mistä puhun. #{tag} ({place})',
    ],
    CHAT: [
      'Kuulitteko jo? {typeCap} just äsken, paikkana {place}. Aiheena {topic}.',
      'Moi kaikki! Täällä ({place}) on puhuttu aiheesta {topic}. Mitä mieltä te olette?',
      'Tiedoksi ryhmälle: {type} ({place}). {topic} puhuttaa, lisää myöhemmin!',
      'Onko muut kuulleet? {topicCap} puhuttaa taas. {actor} ainakin tietää lisää.',
    ],
    NEWS: [
      '{typeCap}: {topic} puhuttaa Koivulahdessa\n\nKOIVULAHTI – {typeCap} herätti huomiota, kun paikalla ({place}) olivat {actor} ja {targets}. Aiheena oli {topic}.\n\nKoivulahden Sanomat kysyi asianosaisten näkemyksiä. Molemmat osapuolet kertoivat haluavansa asiaan selvyyden.\n\nLehti seuraa tilannetta ja kertoo lisää, kun asiasta tiedetään enemmän.',
      '{topicCap} nousi puheenaiheeksi\n\nKOIVULAHTI – {actor} oli keskiössä, kun {type} kokosi kyläläisiä ({place}). Mukana olivat myös {targets}.\n\nSää oli {weather}, mutta tunnelma ei laantunut. Kyläläisten mukaan {topic} on ollut esillä jo pitkään.\n\nKoivulahden Sanomat palaa asiaan.',
    ],
  },
  en: {
    FEED: [
      '{typeCap} today with {with}. We talked about {topic}. ({place})',
      'Had to share: {type}, all about {topic}. Thanks for the company, {with}! ({place})',
    ],
    CHAT: ['Did you hear? {typeCap} just now at {place}. All about {topic}', 'FYI everyone: {type} ({place}). {topicCap} again!'],
    NEWS: [
      '{typeCap}: {topic} stirs Koivulahti\n\nKOIVULAHTI – {typeCap} drew attention at {place}, with {actor} and {targets} at the centre. The matter was {topic}.\n\nKoivulahden Sanomat asked both sides for comment; both said they want the matter settled.\n\nThe paper will follow the story.',
    ],
  },
};

function capitalize(text: string): string {
  return text.length === 0 ? text : `${text[0]?.toLocaleUpperCase('fi')}${text.slice(1)}`;
}

/** What the offline writer fills GeneratedPost from (and the fallback when a model's answer is unusable). */
export function offlineContext(job: RenderJobPayload): Record<string, unknown> {
  const context = job.prompt_context;
  const { event } = context;
  const language = context.language;
  const fi = language === 'fi';
  const others = [...event.actors, ...event.targets].filter((entry) => entry.id !== job.author_id).map((entry) => entry.name);
  const topic = event.topic ?? event.typeName;
  const tone: Tone = defaultTone(job.channel, event.category, event.valence);
  const tag = event.type.replace(/_/g, '');
  return {
    channel: job.channel,
    author_id: job.author_id,
    source_event_id: job.source_event_id,
    tone,
    tags: [tag],
    templates: { text: templatesFor(job) },
    type: event.typeName,
    typeCap: capitalize(event.typeName),
    topic,
    topicCap: capitalize(topic),
    place: event.place.name,
    actor: joinNames(
      event.actors.map((actor) => actor.name),
      language,
    ),
    targets:
      joinNames(
        event.targets.map((target) => target.name),
        language,
      ) || (fi ? 'naapurit' : 'the neighbours'),
    with: joinNames(others, language) || (fi ? 'naapurit' : 'the neighbours'),
    weather: event.weather,
    tag,
  };
}

function templatesFor(job: RenderJobPayload): string[] {
  const { language, event } = job.prompt_context;
  if (job.channel === 'FEED' && event.category === 'conflict') return conflictFeed[language];
  return offlineTemplates[language][job.channel];
}

/** The post used when the model's answer stays invalid: the first offline template, filled. */
export function fallbackPost(job: RenderJobPayload): GeneratedPost {
  const context = offlineContext(job);
  const template = templatesFor(job)[0] ?? '{type}';
  const text = template.replace(/\{(\w+)\}/g, (match, key: string) => {
    const value = context[key];
    return typeof value === 'string' ? value : match;
  });
  return {
    channel: job.channel,
    author_id: job.author_id,
    source_event_id: job.source_event_id,
    tone: context.tone as Tone,
    text,
    tags: context.tags as string[],
    safety_notes: null,
  };
}
