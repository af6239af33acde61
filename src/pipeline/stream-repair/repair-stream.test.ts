// Stream repair, swept: every break point of several answers (plain text, CJK, JSON mode, with
// thoughts), every continuation behaviour a model shows, every mode. The client's text must equal
// the unbroken answer exactly, or the stream must end with the typed error holding exactly what
// the client received: never duplicated text, never invalid JSON.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createGeminiError, GeminiError } from '../../errors/index.js';
import type { GenerateContentRequest, GenerateContentResponse } from '../../wire/index.js';
import { anchorOf } from './splice.js';
import { ModelRepairMemory, repairStream, type StreamRepairEvent, type StreamRepairMode } from './repair-stream.js';

const ANSWERS = {
  prose:
    'The lighthouse keeper climbed the spiral stairs at dusk. Below, the sea heaved against the rocks, ' +
    'grey and patient; above, the great lens waited to be lit. He had done this for thirty-one years, ' +
    'and every night it felt like the first time.\n\nTomorrow the supply boat would come.',
  cjk: '灯台守は夕暮れに螺旋階段を上った。下では海が岩に打ち寄せ、上では大きなレンズが点灯を待っていた。彼はこれを三十一年間続けてきた。',
  json: JSON.stringify(
    { title: 'Night watch', lines: ['The lamp is lit.', 'The sea is calm.', 'A ship passes, far out.'], count: 3 },
    null,
    2,
  ),
};

const DRIFT = 'An entirely different story begins here, with no lighthouse at all.';
/** The same answer sent again with one character changed early on: a restart that is not reproducible. */
const drifted = (answer: string) => answer.slice(0, 7) + 'Q' + answer.slice(8);

type Behaviour = 'literal' | 'overlap' | 'restart' | 'preamble' | 'reject-prefill' | 'drift';
const BEHAVIOURS: Behaviour[] = ['literal', 'overlap', 'restart', 'preamble', 'reject-prefill', 'drift'];
const MODES: StreamRepairMode[] = ['restart', 'continue', 'auto'];

/** Cuts `text` into chunks of the given sizes (mid-word, as Gemini streams), cycling through sizes. */
function chunked(text: string, sizes: number[], options: { thoughts?: boolean; id?: string } = {}) {
  const chunks: GenerateContentResponse[] = [];
  if (options.thoughts)
    chunks.push({
      candidates: [
        { content: { role: 'model', parts: [{ text: 'Thinking about the sea.', thought: true }] }, index: 0 },
      ],
      ...(options.id ? { responseId: options.id } : {}),
    });
  for (let at = 0, i = 0; at < text.length; i++) {
    const size = sizes[i % sizes.length]!;
    chunks.push({
      candidates: [{ content: { role: 'model', parts: [{ text: text.slice(at, at + size) }] }, index: 0 }],
      usageMetadata: { promptTokenCount: 10, candidatesTokenCount: i + 1, totalTokenCount: 11 + i },
      ...(options.id ? { responseId: options.id } : {}),
    });
    at += size;
  }
  const last = chunks[chunks.length - 1]!;
  last.candidates![0]!.finishReason = 'STOP';
  return chunks;
}

const broken = () =>
  createGeminiError({ kind: 'unavailable', message: 'The model is overloaded.', httpStatus: 503, source: 'stream' });

async function* stream(chunks: GenerateContentResponse[], breakAfter?: number) {
  for (let i = 0; i < chunks.length; i++) {
    if (breakAfter !== undefined && i === breakAfter) throw broken();
    yield chunks[i]!;
  }
}

/** A model answering repair requests the way `behaviour` says. */
function model(answer: string, behaviour: Behaviour, sizes: number[], thoughts: boolean) {
  const requests: GenerateContentRequest[] = [];
  const reopen = (request: GenerateContentRequest) => {
    requests.push(request);
    const turns = request.contents;
    const last = turns[turns.length - 1]!;
    const asText = (text: string) => stream(chunked(text, sizes, { thoughts, id: `r${requests.length}` }));
    if (turns.length === 1) return asText(behaviour === 'drift' ? drifted(answer) : answer);
    const delivered = (last.role === 'model' ? last : turns[turns.length - 2]!).parts[0]!.text!;
    const prefill = last.role === 'model';
    if (prefill && behaviour === 'reject-prefill')
      return (async function* (): AsyncGenerator<GenerateContentResponse> {
        throw createGeminiError({
          kind: 'invalid_request',
          httpStatus: 400,
          message: 'Requests ending with a model turn are not supported.',
        });
      })();
    const rest = answer.slice(delivered.length);
    const trimmed = delivered.trimEnd();
    const anchor = anchorOf(delivered);
    const resume = prefill ? rest : answer.slice(trimmed.length - anchor.length);
    switch (behaviour) {
      case 'literal':
      case 'reject-prefill':
        return asText(resume);
      case 'overlap': {
        // Models repeat the last word or few before going on.
        const from = prefill ? delivered.length : trimmed.length - anchor.length;
        const words = /(?:\S+\s*){1,3}$/u.exec(answer.slice(0, from))?.[0] ?? '';
        return asText(answer.slice(from - words.length));
      }
      case 'restart':
        return asText(answer);
      case 'preamble':
        return asText(`Sure, continuing from there: ${resume}`);
      case 'drift':
        return asText(DRIFT);
    }
  };
  return { reopen, requests };
}

async function collect(iterable: AsyncIterable<GenerateContentResponse>) {
  const chunks: GenerateContentResponse[] = [];
  let error: unknown;
  try {
    for await (const chunk of iterable) chunks.push(chunk);
  } catch (failure) {
    error = failure;
  }
  const text = chunks
    .flatMap((chunk) => chunk.candidates?.[0]?.content?.parts ?? [])
    .filter((part) => !part.thought)
    .map((part) => part.text ?? '')
    .join('');
  const thoughts = chunks
    .flatMap((chunk) => chunk.candidates?.[0]?.content?.parts ?? [])
    .filter((part) => part.thought).length;
  return { chunks, text, thoughts, error };
}

describe('repairStream, swept over break points and model behaviours', () => {
  for (const [name, answer] of Object.entries(ANSWERS)) {
    const json = name === 'json';
    it(`${name}: the client's text is the unbroken answer or a typed error with exactly what it got`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.integer({ min: 1, max: 23 }), { minLength: 1, maxLength: 4 }),
          fc.nat(),
          fc.constantFrom(...BEHAVIOURS),
          fc.constantFrom(...MODES),
          fc.boolean(),
          async (sizes, breakSeed, behaviour, mode, thoughts) => {
            const original = chunked(answer, sizes, { thoughts, id: 'first' });
            const breakAfter = 1 + (breakSeed % (original.length - 1));
            const upstream = model(answer, behaviour, sizes, thoughts);
            const events: StreamRepairEvent[] = [];
            const request: GenerateContentRequest = {
              contents: [{ role: 'user', parts: [{ text: 'Tell me a story.' }] }],
              ...(json ? { generationConfig: { responseMimeType: 'application/json' } } : {}),
            };
            const result = await collect(
              repairStream(stream(original, breakAfter), {
                mode,
                request,
                model: 'gemini-test',
                reopen: upstream.reopen,
                memory: new ModelRepairMemory(),
                onEvent: (event) => events.push(event),
              }),
            );
            if (result.error === undefined) {
              // What the client may read: the unbroken answer; a restart that drifted only after
              // the text the client had (a new, whole answer); or, after a prefill, the delivered
              // text followed by whatever the model wrote (a prefill is continued literally, so it
              // cannot be checked). Never any of the delivered text twice.
              const prefill = upstream.requests.find((r) => r.contents[r.contents.length - 1]!.role === 'model');
              const delivered = prefill?.contents[prefill.contents.length - 1]!.parts[0]!.text ?? '';
              const acceptable = new Set([answer, drifted(answer)]);
              if (prefill && behaviour === 'preamble')
                acceptable.add(`${delivered}Sure, continuing from there: ${answer.slice(delivered.length)}`);
              if (prefill && behaviour === 'drift') acceptable.add(`${delivered}${DRIFT}`);
              expect([...acceptable]).toContain(result.text);
              const prefillDrift = result.text !== answer;
              if (json && !prefillDrift) expect(JSON.parse(result.text)).toEqual(JSON.parse(answer));
              // One responseId for the whole answer; thoughts sent once.
              expect(new Set(result.chunks.map((chunk) => chunk.responseId))).toEqual(new Set(['first']));
              if (thoughts) expect(result.thoughts).toBe(1);
            } else {
              expect(result.error).toBeInstanceOf(GeminiError);
              const error = result.error as GeminiError;
              expect(error.kind).toBe('unavailable');
              expect(error.partialText ?? '').toBe(result.text);
              expect(answer.startsWith(result.text)).toBe(true);
            }
            if (json && result.error === undefined) expect(() => JSON.parse(result.text)).not.toThrow();
            expect(events.length).toBeGreaterThan(0);
          },
        ),
        { numRuns: 300 },
      );
    });
  }
});

describe('repairStream, by case', () => {
  const answer = ANSWERS.prose;
  const request: GenerateContentRequest = { contents: [{ role: 'user', parts: [{ text: 'Tell me a story.' }] }] };

  it('restarts byte for byte and forwards only what is new, usage summed over both attempts', async () => {
    const upstream = model(answer, 'literal', [9], false);
    const result = await collect(
      repairStream(stream(chunked(answer, [9], { id: 'first' }), 5), {
        mode: 'restart',
        request,
        model: 'm',
        reopen: upstream.reopen,
      }),
    );
    expect(result.error).toBeUndefined();
    expect(result.text).toBe(answer);
    expect(upstream.requests).toEqual([request]);
    const last = result.chunks[result.chunks.length - 1]!;
    // Attempt one billed 5 chunks' worth before it broke; attempt two all of its own.
    const chunksInAnswer = Math.ceil(answer.length / 9);
    expect(last.usageMetadata?.candidatesTokenCount).toBe(5 + chunksInAnswer);
    expect(last.usageMetadata?.promptTokenCount).toBe(20);
    const noted = result.chunks.find((chunk) => (chunk as { gemwarden?: unknown }).gemwarden);
    expect(noted).toMatchObject({ gemwarden: { streamRepair: { strategy: 'restart', repairs: 1 } } });
  });

  it('learns that a model refuses prefill and continues with a user turn instead', async () => {
    const memory = new ModelRepairMemory();
    const upstream = model(answer, 'reject-prefill', [11], false);
    const events: StreamRepairEvent[] = [];
    const result = await collect(
      repairStream(stream(chunked(answer, [11], { id: 'first' }), 4), {
        mode: 'continue',
        request,
        model: 'gemini-new',
        reopen: upstream.reopen,
        memory,
        onEvent: (event) => events.push(event),
      }),
    );
    expect(result.text).toBe(answer);
    expect(memory.allowsPrefill('gemini-new')).toBe(false);
    expect(events.map((event) => `${event.strategy}:${event.outcome}`)).toEqual([
      'prefill:prefill-refused',
      'anchored:repaired',
    ]);
  });

  it('never repairs after a function call', async () => {
    const chunks: GenerateContentResponse[] = [
      {
        candidates: [{ content: { role: 'model', parts: [{ functionCall: { name: 'lookup', args: {} } }] }, index: 0 }],
      },
      { candidates: [{ content: { role: 'model', parts: [{ text: 'and then' }] }, index: 0 }] },
      { candidates: [{ content: { role: 'model', parts: [{ text: ' more' }] }, finishReason: 'STOP', index: 0 }] },
    ];
    const upstream = model(answer, 'literal', [5], false);
    const result = await collect(
      repairStream(stream(chunks, 2), { mode: 'auto', request, model: 'm', reopen: upstream.reopen }),
    );
    expect(upstream.requests).toHaveLength(0);
    expect((result.error as GeminiError).kind).toBe('unavailable');
  });

  it('leaves multi-candidate streams and mode off alone', async () => {
    const upstream = model(answer, 'literal', [5], false);
    for (const options of [
      { mode: 'off' as const, request },
      { mode: 'auto' as const, request: { ...request, generationConfig: { candidateCount: 2 } } },
    ]) {
      const result = await collect(
        repairStream(stream(chunked(answer, [5]), 3), { ...options, model: 'm', reopen: upstream.reopen }),
      );
      expect((result.error as GeminiError).kind).toBe('unavailable');
      expect(result.text).toBe(answer.slice(0, 15));
    }
    expect(upstream.requests).toHaveLength(0);
  });

  it('moves citation offsets onto the repaired answer', async () => {
    const first = chunked(answer, [40], { id: 'first' });
    const continuation: GenerateContentResponse[] = [
      {
        candidates: [
          {
            content: { role: 'model', parts: [{ text: answer.slice(80) }] },
            citationMetadata: { citationSources: [{ startIndex: 10, endIndex: 30, uri: 'https://example.org/a' }] },
            finishReason: 'STOP',
            index: 0,
          },
        ],
      },
    ];
    // Break after two chunks: the client holds the first 80 characters (both end on a word boundary
    // only if the held word is dropped; the prefill carries exactly what was delivered).
    const result = await collect(
      repairStream(stream(first, 2), {
        mode: 'continue',
        request,
        model: 'm',
        reopen: (req) => {
          const delivered = req.contents[req.contents.length - 1]!.parts[0]!.text!;
          const ownText = answer.slice(delivered.length);
          continuation[0]!.candidates![0]!.content!.parts[0]!.text = ownText;
          return stream(continuation);
        },
      }),
    );
    expect(result.text).toBe(answer);
    const cited = result.chunks.find((chunk) => chunk.candidates?.[0]?.citationMetadata);
    const source = (cited!.candidates![0]!.citationMetadata as { citationSources: Array<{ startIndex: number }> })
      .citationSources[0]!;
    const delivered =
      result.text.length - (result.text.length - answer.length) - (answer.length - answer.slice(0).length);
    expect(delivered).toBe(answer.length);
    // The citation pointed 10 bytes into the continuation; the continuation starts where the
    // delivered text ended, so it now points 10 bytes past that.
    expect(source.startIndex).toBeGreaterThan(10);
  });
});
