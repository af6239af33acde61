// A 200 stays a 200 on the OpenAI route (issue #15): the client is asked for answers with a finding
// as results (`answerChecks: 'report'`), and this module decides which findings an OpenAI client
// reads as a normal completion with a `finish_reason` and which stay errors.
import type { GeminiError } from '../../errors/index.js';

/**
 * Findings rendered as the completion Gemini sent: a block (prompt blocked, SAFETY, RECITATION …)
 * becomes `finish_reason: "content_filter"` and a token cut with no text `"length"`, as OpenAI
 * clients expect. Other findings (a malformed function call, an empty answer) have no OpenAI finish
 * reason that would not read as a normal empty answer, so they stay errors in OpenAI's shape.
 */
export function rendersAsFinish(finding: GeminiError): boolean {
  return finding.kind === 'blocked' || finding.kind === 'truncated';
}
