// Credentials for the API: an API key the user entered once, or an Office SSO token.
//
// Word has no roaming settings for add-ins (Office.context.roamingSettings is Outlook's), so
// the key is kept in the add-in's own localStorage (partitioned per origin by Office); it is
// never written into the document, which travels to other people.

const KEY_STORAGE = "complianceAssistant.apiKey";
const MODE_STORAGE = "complianceAssistant.authMode";

/**
 * @param {object} options
 * @param {Storage|null} [options.storage]
 * @param {(() => Promise<string>)|undefined} [options.getAccessToken]  Office SSO, when available
 */
export function createAuth({ storage = safeLocalStorage(), getAccessToken } = {}) {
  let token = null;

  const auth = {
    get apiKey() {
      return storage?.getItem(KEY_STORAGE) || "";
    },

    /** "key" (API key), "sso" (Office single sign-on) or "none" (loopback server, no auth). */
    get mode() {
      if (auth.apiKey) return "key";
      return storage?.getItem(MODE_STORAGE) === "sso" && getAccessToken ? "sso" : "none";
    },

    get canUseSso() {
      return Boolean(getAccessToken);
    },

    setApiKey(key) {
      const value = key.trim();
      if (value) storage?.setItem(KEY_STORAGE, value);
      else storage?.removeItem(KEY_STORAGE);
      storage?.removeItem(MODE_STORAGE);
      token = null;
    },

    forget() {
      storage?.removeItem(KEY_STORAGE);
      storage?.removeItem(MODE_STORAGE);
      token = null;
    },

    /** Try Office SSO; resolves true when a token was obtained (and remembers the choice). */
    async useSso() {
      if (!getAccessToken) return false;
      try {
        token = await getAccessToken();
      } catch {
        token = null;
        return false;
      }
      storage?.setItem(MODE_STORAGE, "sso");
      return Boolean(token);
    },

    /** Headers for one request. */
    async headers() {
      const key = auth.apiKey;
      if (key) return { "X-API-Key": key };
      if (auth.mode === "sso") {
        // Office caches the token and refreshes it when it expires.
        token = await getAccessToken().catch(() => token);
        if (token) return { Authorization: `Bearer ${token}` };
      }
      return {};
    },
  };
  return auth;
}

function safeLocalStorage() {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    // Storage can be blocked (third-party iframe rules in some browsers).
    return null;
  }
}
