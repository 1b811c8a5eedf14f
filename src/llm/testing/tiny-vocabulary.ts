/**
 * Test support: the subword pieces of the tiny GGUF's `subwords` vocabulary, so its tokenizer compresses text about as
 * much as a real model's (a few characters per token) instead of one token per character. llama.cpp's SentencePiece
 * tokenizer merges two adjacent pieces only when their concatenation is itself a piece, so every word comes with all
 * its prefixes (word-initial, marked `▁`), and the letter pairs and triples of the word list come as inner pieces.
 */

// Words of the prompts the products send: the JSON instruction and schema keywords, personas, village and chat text.
const words = (
  'reply with one json object and nothing else no prose code fences it must match this schema type properties string ' +
  'required additional items array integer number boolean enum maxlength minlength description null true false title ' +
  'answer your the a an of to in is you we they he she was were are be have has had not but or for on at by from as ' +
  'that what when where who which will would can could should about into over after before there their them then ' +
  'than more most some any all each other also only just like time day night morning evening today yesterday ' +
  'village lake sauna birch boat fish bread coffee snow rain sun wind weather place event actors targets topic ' +
  'memories importance relationships affinity trust respect traits values speech style channel news feed chat post ' +
  'tone text tags safety notes author source write english no links if unsure say so do invent new people ' +
  'reporter friend neighbour neighbours family school shop market church library harbour forest road house home ' +
  'work teacher fisher baker farmer doctor mayor said says think know want good bad happy sad angry calm tired ' +
  'koivulahti koivulahden kylä kylän kylässä järvi järven sauna saunan kahvi kahvio ja on ei se että mutta kun olen ' +
  'hän he me te sinä minä tänään huomenna eilen aamulla illalla huomenta kiitos moi hyvää tapahtuma aika sää paikka ' +
  'tekijät kohteet aihe muistosi suhteesi muihin kirjoita suomeksi linkkejä jos olet epävarma vihjaa älä keksi uusia ' +
  'henkilöitä vastaa yhdellä objektilla kanavan tyyli luonteesi arvosi puhetyylisi toimittajana lehteen tärkeys ' +
  'kiintymys luottamus arvostus naapuri naapurit ystävä koulu kauppa tori satama metsä talo kotona'
).split(' ');

/** Characters of Finnish and punctuation beyond ASCII, as pieces of their own (else two byte tokens each). */
const extraCharacters = ['ä', 'ö', 'å', 'Ä', 'Ö', 'Å', 'é', '–', '—', '…', '’', '“', '”'];

/** Every piece, shortest first within each word (its parts before it), without duplicates. */
export function subwordPieces(): string[] {
  const pieces = new Set<string>();
  for (const character of extraCharacters) pieces.add(character);
  for (const letter of 'abcdefghijklmnopqrstuvwxyzäöABCDEFGHIJKLMNOPQRSTUVWXYZÄÖ0123456789{}[]":,') pieces.add(`▁${letter}`);
  for (const word of words) {
    const chars = [...word];
    for (let length = 2; length <= chars.length; length++) pieces.add(`▁${chars.slice(0, length).join('')}`);
    const capital = `${chars[0]?.toUpperCase() ?? ''}${chars.slice(1).join('')}`;
    if (capital !== word) for (let length = 2; length <= chars.length; length++) pieces.add(`▁${[...capital].slice(0, length).join('')}`);
    for (let start = 0; start < chars.length - 1; start++) {
      pieces.add(chars.slice(start, start + 2).join(''));
      if (start < chars.length - 2) pieces.add(chars.slice(start, start + 3).join(''));
    }
  }
  // JSON punctuation runs the schema and answers are full of.
  for (const run of ['{"', '":', '",', '"}', '":"', '","', '": "', '", "', '"]', '["', '},', '{"type":"']) pieces.add(run);
  return [...pieces];
}
