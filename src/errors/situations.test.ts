// Situations found in public reports after the explain fixtures were written; each row is a text as
// people pasted it, run through classify() and explain() as a library user calls them.
import { describe, expect, it } from 'vitest';
import { classify } from './classify.js';
import { explain } from './explain.js';

describe('situations from public reports', () => {
  it('a 500 for an OAuth login with no Google Cloud project says to set one, not to shorten the input', () => {
    // From a relay that calls Gemini with a Google account's login (github.com/justlovemaki/AIClient2API/issues/667).
    const error = classify(
      'Google AI Studio API returned error: 500 Internal Server Error {"error":{"code":500,"message":"Could not discover a valid Google Cloud Project ID.","status":"INTERNAL"}}',
    );
    const words = explain(error);
    expect(error.kind).toBe('internal');
    expect(words.situation).toBe('oauth_no_cloud_project');
    expect(words.remedies.join('\n')).toContain('GOOGLE_CLOUD_PROJECT');
    expect(words.remedies.join('\n')).not.toMatch(/Reduce the input/i);
  });
});
