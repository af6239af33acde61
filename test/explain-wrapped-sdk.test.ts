// Issue 17, item 5: an error from an SDK that wraps another error is explained by its innermost
// cause, with the API's own message. Real SDKs (Vercel AI SDK with @ai-sdk/google, @google/genai)
// call a loopback server that answers like Gemini; what they throw goes through classify/explain.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGoogleGenerativeAI } from '@ai-sdk/google';
import { GoogleGenAI } from '@google/genai';
import { generateText } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classify, explain } from '../src/errors/index.js';

interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

let server: Server;
let base = '';
let answer: Answer = { status: 500, body: {} };

beforeAll(async () => {
  server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      response.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function thrownBy(call: () => Promise<unknown>): Promise<unknown> {
  try {
    await call();
  } catch (error) {
    return error;
  }
  throw new Error('the call did not fail');
}

const OVERLOADED = {
  error: { code: 503, message: 'The model is overloaded. Please try again later.', status: 'UNAVAILABLE' },
};
const EMPTY_TEXT = {
  error: {
    code: 400,
    message:
      'Unable to submit request because it has an empty text parameter. Add a value to the parameter and try again.',
    status: 'INVALID_ARGUMENT',
  },
};

describe('explain on errors thrown by real SDKs', () => {
  it('Vercel AI SDK: a RetryError around the last APICallError is explained by the APICallError', async () => {
    // retry-after-ms keeps the SDK's own backoff short; the error must still not take it as the server's delay.
    answer = { status: 503, body: OVERLOADED, headers: { 'retry-after-ms': '5' } };
    const google = createGoogleGenerativeAI({ apiKey: 'test-key-0001', baseURL: `${base}/v1beta` });
    const thrown = await thrownBy(() =>
      generateText({ model: google('gemini-2.5-flash'), prompt: 'hi', maxRetries: 1 }),
    );
    expect((thrown as Error).name).toBe('AI_RetryError');
    const error = classify(thrown);
    const data = explain(error);
    expect(error.kind).toBe('unavailable');
    expect(error.retryable).toBe(true);
    expect(error.httpStatus).toBe(503);
    expect(error.message).toBe('The model is overloaded. Please try again later.');
    expect(data.cause).toBe('AI_APICallError');
  });

  it('Vercel AI SDK: a 400 is the request, whatever wraps it', async () => {
    answer = { status: 400, body: EMPTY_TEXT };
    const google = createGoogleGenerativeAI({ apiKey: 'test-key-0001', baseURL: `${base}/v1beta` });
    const thrown = await thrownBy(() =>
      generateText({ model: google('gemini-2.5-flash'), prompt: 'hi', maxRetries: 0 }),
    );
    // An application's own wrapper class, as many apps add (a 503-looking class around a 400).
    class ServiceUnavailableError extends Error {
      override name = 'ServiceUnavailableError';
      status = 503;
    }
    const wrapped = new ServiceUnavailableError('LLM call failed', { cause: thrown });
    const error = classify(wrapped);
    const data = explain(error);
    expect(error.kind).toBe('invalid_request');
    expect(error.retryable).toBe(false);
    expect(error.httpStatus).toBe(400);
    expect(error.blame).toBe('request');
    expect(error.message).toBe(EMPTY_TEXT.error.message);
    expect(data.situation).toBe('empty_text_part');
    expect(data.cause).toBe('AI_APICallError');
  });

  it('a 503-looking wrapper around a connection that was refused is a network fault', async () => {
    // A real refused connection: fetch to a port nothing listens on (the server's, once closed).
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const thrown = await thrownBy(() => fetch(`http://127.0.0.1:${port}/v1beta/models`));
    class ServiceUnavailableError extends Error {
      override name = 'ServiceUnavailableError';
      status = 503;
    }
    const error = classify(new ServiceUnavailableError('upstream unavailable', { cause: thrown }));
    expect(error.kind).toBe('network');
    expect(error.blame).toBe('network');
    expect(explain(error).cause).not.toBe('ServiceUnavailableError');
  });

  it('@google/genai: its ApiError gives the API message and kind', async () => {
    answer = {
      status: 429,
      body: {
        error: {
          code: 429,
          message:
            'Resource exhausted. Please try again later. Please refer to https://cloud.google.com/vertex-ai/generative-ai/docs/error-code-429 for more details.',
          status: 'RESOURCE_EXHAUSTED',
        },
      },
    };
    const ai = new GoogleGenAI({ apiKey: 'test-key-0002', httpOptions: { baseUrl: base } });
    const thrown = await thrownBy(() => ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' }));
    const wrapped = new Error('translation batch 3 failed', { cause: thrown });
    const error = classify(wrapped);
    const data = explain(error);
    expect(error.kind).toBe('rate_limited');
    expect(error.message).toBe(
      'Resource exhausted. Please try again later. Please refer to https://cloud.google.com/vertex-ai/generative-ai/docs/error-code-429 for more details.',
    );
    expect(data.situation).toBe('vertex_shared_capacity');
    expect((thrown as Error).name).toBe('ApiError');
    expect(data.cause).toBe('ApiError');
  });
});
