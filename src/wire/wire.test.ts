import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from './duration.js';
import { errorEnvelope, readErrorEnvelope, renderErrorBody } from './error-envelope.js';
import { normaliseFieldNames, validateRequestShape } from './request-schema.js';
import { parseGeminiPath } from './routes.js';
import {
  encodeSseError,
  encodeSseEvent,
  JsonArrayStreamDecoder,
  JsonArrayStreamWriter,
  SseStreamDecoder,
  type StreamFrame,
} from './stream.js';
import { httpStatusOf, HTTP_TO_STATUS } from './status.js';

describe('status table', () => {
  it('maps names and codes as the Gemini API does', () => {
    expect(httpStatusOf('FAILED_PRECONDITION')).toBe(400);
    expect(httpStatusOf('RESOURCE_EXHAUSTED')).toBe(429);
    expect(httpStatusOf('CANCELLED')).toBe(499);
    expect(httpStatusOf('DEADLINE_EXCEEDED')).toBe(504);
    expect(HTTP_TO_STATUS[503]).toBe('UNAVAILABLE');
  });
});

describe('protobuf Duration', () => {
  it.each([
    ['26s', 26000],
    ['2.463586755s', 2464],
    ['0s', 0],
    ['0.5s', 500],
    ['1.000000001s', 1001],
  ])('%s → %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
  it('rejects malformed strings', () => {
    expect(parseDuration('26')).toBeUndefined();
    expect(parseDuration('abc')).toBeUndefined();
    expect(parseDuration(5)).toBeUndefined();
  });
  it('formats whole and fractional seconds', () => {
    expect(formatDuration(26000)).toBe('26s');
    expect(formatDuration(2464)).toBe('2.464s');
  });
});

describe('error envelope', () => {
  it('reads the array form and pretty-prints like Google', () => {
    const envelope = errorEnvelope('UNAVAILABLE', 'The model is overloaded. Please try again later.');
    expect(readErrorEnvelope([envelope])).toEqual(envelope.error);
    expect(renderErrorBody(envelope)).toContain('\n  "error": {\n    "code": 503,');
  });
  it('returns undefined for non-errors', () => {
    expect(readErrorEnvelope({ candidates: [] })).toBeUndefined();
    expect(readErrorEnvelope('x')).toBeUndefined();
  });
});

describe('request shape', () => {
  it('accepts camelCase and snake_case', () => {
    expect(
      validateRequestShape(
        { contents: [{ role: 'user', parts: [{ text: 'hi' }] }], generation_config: { max_output_tokens: 5 } },
        'GenerateContentRequest',
      ),
    ).toEqual([]);
    const normalised = normaliseFieldNames(
      { system_instruction: { parts: { text: 'x' } } },
      'GenerateContentRequest',
    ) as Record<string, unknown>;
    expect(normalised).toEqual({ systemInstruction: { parts: [{ text: 'x' }] } });
  });
  it('names unknown fields with their proto path', () => {
    const violations = validateRequestShape(
      {
        contents: [{ parts: [{ text: 'hi' }] }],
        tools: [
          {
            functionDeclarations: [
              { name: 'f', parameters: { type: 'OBJECT', properties: { a: { type: 'ARRAY', items: { ref: 'x' } } } } },
            ],
          },
        ],
        foo: 1,
      },
      'GenerateContentRequest',
    );
    expect(violations.map((v) => v.description)).toEqual([
      `Invalid JSON payload received. Unknown name "ref" at 'tools[0].function_declarations[0].parameters.properties[0].value.items': Cannot find field.`,
      'Invalid JSON payload received. Unknown name "foo": Cannot find field.',
    ]);
  });
  it('reports wrong scalar types', () => {
    const [violation] = validateRequestShape(
      { contents: [], generationConfig: { temperature: 'hot' } },
      'GenerateContentRequest',
    );
    expect(violation?.field).toBe('generation_config.temperature');
  });
});

describe('routes', () => {
  it('parses method, list and get routes', () => {
    expect(parseGeminiPath('/v1beta/models/gemini-2.5-pro:streamGenerateContent')).toEqual({
      kind: 'method',
      version: 'v1beta',
      model: 'gemini-2.5-pro',
      method: 'streamGenerateContent',
    });
    expect(parseGeminiPath('/v1/models')).toEqual({ kind: 'list-models', version: 'v1' });
    expect(parseGeminiPath('/v1beta/models/gemini-2.5-flash')).toEqual({
      kind: 'get-model',
      version: 'v1beta',
      model: 'gemini-2.5-flash',
    });
    expect(parseGeminiPath('/v2/models')).toBeUndefined();
  });
});

function decodeInPieces(
  decoder: { push(t: string): StreamFrame[]; end(): StreamFrame[] },
  text: string,
  size: number,
): StreamFrame[] {
  const frames: StreamFrame[] = [];
  for (let i = 0; i < text.length; i += size) frames.push(...decoder.push(text.slice(i, i + size)));
  frames.push(...decoder.end());
  return frames;
}

describe('stream framing', () => {
  const chunks = [
    { candidates: [{ content: { parts: [{ text: 'Hel"lo {' }] } }] },
    { candidates: [{ content: { parts: [{ text: 'world}' }] }, finishReason: 'STOP' }] },
  ];
  const failure = errorEnvelope('UNAVAILABLE', 'The model is overloaded. Please try again later.');

  for (const size of [1, 3, 17, 10_000]) {
    it(`SSE round trip with a raw error object after it started (pieces of ${size})`, () => {
      const text = chunks.map(encodeSseEvent).join('') + encodeSseError(failure);
      const frames = decodeInPieces(new SseStreamDecoder(), text, size);
      expect(frames.map((f) => f.type)).toEqual(['data', 'data', 'error']);
      expect(frames[0]).toEqual({ type: 'data', value: chunks[0] });
      expect(frames[2]?.type === 'error' && frames[2].error.status).toBe('UNAVAILABLE');
    });

    it(`JSON-array round trip in Google's framing, with an error element (pieces of ${size})`, () => {
      const writer = new JsonArrayStreamWriter();
      const text = chunks.map((c) => writer.element(c)).join('') + writer.element(failure) + writer.close();
      expect(text).toContain('\n,\r\n{');
      const frames = decodeInPieces(new JsonArrayStreamDecoder(), text, size);
      expect(frames.map((f) => f.type)).toEqual(['data', 'data', 'error']);
      expect(frames[1]).toEqual({ type: 'data', value: chunks[1] });
    });
  }

  it('reports a stream cut in the middle of an object', () => {
    const frames = decodeInPieces(new JsonArrayStreamDecoder(), '[{"candidates": [', 4);
    expect(frames).toEqual([{ type: 'invalid', raw: '{"candidates": [' }]);
  });

  it('reads a compact array', () => {
    const frames = decodeInPieces(new JsonArrayStreamDecoder(), JSON.stringify(chunks), 5);
    expect(frames).toHaveLength(2);
  });
});
