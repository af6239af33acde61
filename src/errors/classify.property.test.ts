import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classify } from './classify.js';
import { explain, explainText } from './explain.js';
import { ERROR_KINDS } from './kinds.js';

const fragments = fc.constantFrom(
  '{"error":',
  '{',
  '}',
  '[',
  ']',
  '"',
  "'",
  '\\',
  '\\"',
  'RESOURCE_EXHAUSTED',
  '429',
  'retry in ',
  's.',
  '@type',
  'type.googleapis.com/google.rpc.RetryInfo',
  'retryDelay',
  'PerDay',
  "{'error': {",
  'None',
  'True',
  ': ',
  ',',
  'quotaValue',
  '<html>',
  'data: ',
  '\n',
  '\u0000',
  'ECONNRESET',
  'models/x',
  'AIzaSy',
);

describe('classify never throws', () => {
  it('on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => {
        const error = classify(text);
        expect(ERROR_KINDS).toContain(error.kind);
        explainText(error);
      }),
      { numRuns: 2000 },
    );
  });

  it('on strings built from error-shaped fragments', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fragments, fc.string({ maxLength: 8 })), { maxLength: 60 }), (parts) => {
        const error = classify(parts.join(''));
        expect(ERROR_KINDS).toContain(error.kind);
        explain(error);
      }),
      { numRuns: 2000 },
    );
  });

  it('on arbitrary bytes and HTTP answers', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 100, max: 599 }), (bytes, status) => {
        expect(ERROR_KINDS).toContain(classify(bytes).kind);
        expect(ERROR_KINDS).toContain(classify({ status, body: Buffer.from(bytes).toString('latin1') }).kind);
      }),
      { numRuns: 1000 },
    );
  });

  it('on arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(ERROR_KINDS).toContain(classify(value).kind);
        expect(ERROR_KINDS).toContain(classify({ status: 429, body: JSON.stringify(value) }).kind);
        expect(ERROR_KINDS).toContain(classify({ status: 200, body: JSON.stringify({ error: value }) }).kind);
      }),
      { numRuns: 1000 },
    );
  });

  it('on deeply nested brackets without hanging', () => {
    const text = '{"error":'.repeat(5000) + '['.repeat(5000);
    expect(classify(text).kind).toBeDefined();
  });
});
