// A small scripted Gemini upstream for the OpenAI-route tests: it records every request body it
// receives and answers like the Gemini API where these tests need it (thought signatures issued on
// Gemini 3 function calls and the API's 400 when a later turn drops them, thoughts when
// includeThoughts, logprobs when responseLogprobs, batchEmbedContents, models). Real HTTP on a
// loopback port, so the gateway's transport, retries and streaming are all exercised.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  path: string;
  body: Record<string, unknown>;
}

interface Part {
  text?: string;
  thought?: boolean;
  thoughtSignature?: string;
  functionCall?: { id?: string; name: string; args?: Record<string, unknown> };
  functionResponse?: { name: string; response: unknown };
  inlineData?: { mimeType: string; data: string };
}
interface Content {
  role?: string;
  parts: Part[];
}
interface Body {
  contents?: Content[];
  tools?: Array<{ functionDeclarations?: Array<{ name: string }> }>;
  generationConfig?: {
    responseLogprobs?: boolean;
    logprobs?: number;
    thinkingConfig?: { includeThoughts?: boolean };
  };
  requests?: Array<{ content: { parts: Part[] }; outputDimensionality?: number }>;
}

export interface FakeUpstream {
  url: string;
  received: Received[];
  /** Requests to a model method (`generateContent`, `streamGenerateContent`, …). */
  calls(method: string): Received[];
  /** Answers the next generateContent/streamGenerateContent with this body instead of the script. */
  answerNextWith(answer: Record<string, unknown>): void;
  close(): Promise<void>;
}

const MODELS = ['gemini-2.5-flash', 'gemini-2.5-pro', 'gemini-3-pro-preview', 'gemini-embedding-001'];

/** The signature this upstream issues for a call: derived from the call so tests can predict it. */
export function signatureFor(name: string): string {
  return Buffer.from(`sig:${name}`).toString('base64');
}

/** Deterministic unit-free vector for a text (what a direct batchEmbedContents returns). */
export function vectorFor(text: string, dimensions = 8): number[] {
  const digest = createHash('sha256').update(text).digest();
  return Array.from({ length: dimensions }, (_, index) => (digest[index % digest.length]! - 128) / 128 + index / 1000);
}

function missingSignature(contents: Content[]): string | undefined {
  // Gemini 3 checks the function calls of the current turn: every model turn after the last user
  // text message whose first functionCall must carry the signature it was issued with.
  let lastUserText = -1;
  contents.forEach((content, index) => {
    if (content.role !== 'model' && content.parts.some((part) => typeof part.text === 'string')) lastUserText = index;
  });
  for (const [index, content] of contents.entries()) {
    if (index < lastUserText || content.role !== 'model') continue;
    const first = content.parts.find((part) => part.functionCall);
    if (first && first.thoughtSignature !== signatureFor(first.functionCall!.name))
      return `Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly, and missing thought_signature may lead to degraded model performance. Additional data, function call \`default_api:${first.functionCall!.name}\` , position ${index + 1}. Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures for more details.`;
  }
  return undefined;
}

function answerFor(model: string, body: Body): Record<string, unknown> {
  const contents = body.contents ?? [];
  const last = contents[contents.length - 1];
  const tool = body.tools?.[0]?.functionDeclarations?.[0]?.name;
  const parts: Part[] = [];
  if (body.generationConfig?.thinkingConfig?.includeThoughts)
    parts.push({ text: 'Thinking about the question.', thought: true });
  const answered = last?.parts.some((part) => part.functionResponse);
  if (tool && !answered) {
    parts.push({
      functionCall: { name: tool, args: { city: 'Oslo' } },
      ...(model.startsWith('gemini-3') ? { thoughtSignature: signatureFor(tool) } : {}),
    });
  } else {
    parts.push({ text: answered ? 'It is 3 degrees in Oslo.' : 'Hello from the upstream.' });
  }
  const candidate: Record<string, unknown> = { index: 0, finishReason: 'STOP', content: { role: 'model', parts } };
  if (body.generationConfig?.responseLogprobs) {
    const top = body.generationConfig.logprobs ?? 0;
    candidate.logprobsResult = {
      chosenCandidates: [
        { token: 'Hello', logProbability: -0.25 },
        { token: ' world', logProbability: -1.5 },
      ],
      topCandidates: [
        { candidates: Array.from({ length: top }, (_, i) => ({ token: `t${i}`, logProbability: -i - 0.25 })) },
        { candidates: Array.from({ length: top }, (_, i) => ({ token: `u${i}`, logProbability: -i - 1.5 })) },
      ],
    };
    candidate.avgLogprobs = -0.875;
  }
  return {
    candidates: [candidate],
    usageMetadata: {
      promptTokenCount: 12,
      candidatesTokenCount: 5,
      thoughtsTokenCount: 7,
      cachedContentTokenCount: 4,
      totalTokenCount: 24,
    },
    modelVersion: model,
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
  res.end(JSON.stringify(body));
}

function error(res: ServerResponse, status: number, rpc: string, message: string): void {
  send(res, status, { error: { code: status, message, status: rpc } });
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/** Starts the fake upstream on 127.0.0.1 with an ephemeral port. */
export async function startFakeUpstream(): Promise<FakeUpstream> {
  const received: Received[] = [];
  let scripted: Record<string, unknown> | undefined;
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://upstream');
      const body = await readBody(req);
      received.push({ method: req.method ?? 'GET', path: url.pathname, body });
      if (/^\/v1(beta)?\/models\/?$/.test(url.pathname))
        return send(res, 200, {
          models: MODELS.map((name) => ({
            name: `models/${name}`,
            version: '001',
            displayName: name,
            inputTokenLimit: 1_048_576,
            outputTokenLimit: 65_536,
            supportedGenerationMethods: name.includes('embedding') ? ['embedContent'] : ['generateContent'],
          })),
        });
      const match = /^\/v1(?:beta)?\/models\/([^/:]+):(\w+)$/.exec(url.pathname);
      if (!match) return error(res, 404, 'NOT_FOUND', `No route for ${url.pathname}`);
      const [, model, method] = match as unknown as [string, string, string];
      if (method === 'batchEmbedContents') {
        const requests = (body as Body).requests ?? [];
        return send(res, 200, {
          embeddings: requests.map((entry) => ({
            values: vectorFor(entry.content.parts.map((part) => part.text ?? '').join(''), entry.outputDimensionality),
          })),
        });
      }
      if (method !== 'generateContent' && method !== 'streamGenerateContent')
        return error(res, 404, 'NOT_FOUND', `Method ${method} not found`);
      if (model.startsWith('gemini-3')) {
        const problem = missingSignature((body as Body).contents ?? []);
        if (problem) return error(res, 400, 'INVALID_ARGUMENT', problem);
      }
      const answer = scripted ?? answerFor(model, body);
      scripted = undefined;
      if (method === 'generateContent') return send(res, 200, answer);
      // Streamed: the parts one chunk each, usage on the last, as Gemini streams them.
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const candidate = (answer.candidates as Array<Record<string, unknown>> | undefined)?.[0];
      const parts = (candidate?.content as Content | undefined)?.parts ?? [];
      if (parts.length === 0) res.write(`data: ${JSON.stringify(answer)}\r\n\r\n`);
      parts.forEach((part, index) => {
        const lastPart = index === parts.length - 1;
        const chunk = {
          candidates: [
            {
              ...candidate,
              content: { role: 'model', parts: [part] },
              ...(lastPart ? {} : { finishReason: undefined }),
            },
          ],
          ...(lastPart ? { usageMetadata: answer.usageMetadata } : {}),
          modelVersion: model,
        };
        res.write(`data: ${JSON.stringify(chunk)}\r\n\r\n`);
      });
      res.end();
    })().catch((failure: unknown) => error(res, 500, 'INTERNAL', String(failure)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    calls: (method) => received.filter((entry) => entry.path.endsWith(`:${method}`)),
    answerNextWith: (answer) => {
      scripted = answer;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
