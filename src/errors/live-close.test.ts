import { describe, expect, it } from 'vitest';
import { classifyLiveClose } from './live-close.js';

describe('classifyLiveClose', () => {
  // Close frames as public reports show the real Live API sending them, and as the emulator sends them.
  it.each([
    [
      1008,
      'models/gemini-2.0-flash-001 is not found for API version v1alpha, or is not supported for bidiGenerateContent. Call ListMod',
      'not_found',
      'model',
    ],
    [1008, 'Requested entity was not found.', 'not_found', 'model'],
    [
      1011,
      'You exceeded your current quota, please check your plan and billing details. For more information',
      'rate_limited',
      'capacity',
    ],
    [1011, 'Internal error occurred.', 'internal', 'capacity'],
    [1011, 'The service is currently unavailable.', 'unavailable', 'capacity'],
    [1008, 'API key not valid. Please pass a valid API key.', 'api_key_invalid', 'key'],
    [1008, 'Permission denied: the API key cannot use this service.', 'permission_denied', 'project'],
    [1007, 'gemini-2.0-flash-001 is not supported in the live api.', 'invalid_request', 'request'],
    [1011, 'something nobody has seen', 'internal', 'capacity'],
    [1008, 'Operation is not implemented, or supported, or enabled.', 'unknown', 'unknown'],
  ])('%i %s → %s (%s)', (code, reason, kind, blame) => {
    const error = classifyLiveClose(code, reason);
    expect([error.kind, error.blame]).toEqual([kind, blame]);
    expect(error.message).toContain(reason.slice(0, 20));
  });

  it('keeps the context and redacts the key from the reason', () => {
    const key = `AIza${''}SyLiveLiveLiveLiveLiveLiveLiveLive1234`;
    const error = classifyLiveClose(1008, `API key not valid: ${key}`, {
      model: 'gemini-live-2.5-flash',
      keyHint: '…1234',
      secrets: [key],
    });
    expect(error.model).toBe('gemini-live-2.5-flash');
    expect(error.keyHint).toBe('…1234');
    expect(JSON.stringify(error.toJSON())).not.toContain(key);
  });
});
