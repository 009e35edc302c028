-- Returning logins, rendered by mailadmin from deploy/dovecot/returning-logins.lua (docs/logins.md).
--
-- A mail client logs in again and again with the same password.  Checking it against the stored
-- Argon2id hash costs ~120 ms of CPU each time; this passdb remembers, in the auth process's
-- memory only, that a password verified: per mailbox, a keyed SHA-256 of that password (the key
-- is random, drawn when the process starts, never written anywhere) and the fingerprint of the
-- stored hash it verified against.  A later login is accepted without the Argon2 check only when
-- the lookup just made (dovecot-sql-hash-id.conf.ext: active mailbox, active domain) returns the
-- same fingerprint and the password gives the same keyed hash, within the entry's life.  A new
-- password (new hash) or a suspended mailbox (no row) is therefore refused at once.
--
-- The same script runs at two places of the passdb chain in dovecot.conf:
--   before the SQL password check: a hit answers OK; anything else hands on (NEXT);
--   after it (mailadmin_after_hash set by that passdb block): records the password when the
--   check succeeded (skip_password_check), else refuses.
-- Every decision is counted as the event mailadmin_login_cache (result=hit|miss|stored), which
-- Dovecot's stats count (metric mailadmin_login_cache in dovecot.conf).

local LIFE = {{ returning_login_seconds }}  -- seconds an entry is used after the password verified
local MAX_ENTRIES = 100000          -- then expired entries go, and if still full, all of them
local auth = dovecot.auth
local key
local entries, count = {}, 0

function script_init()
  local source = assert(io.open("/dev/urandom", "rb"))
  local bytes = source:read(32)
  source:close()
  key = bytes:gsub(".", function(byte) return string.format("%02x", byte:byte()) end)
  return 0
end

local function count_event(request, result)
  local event = dovecot.event(request:event())
  event:set_name("mailadmin_login_cache")
  event:add_str("result", result)
  event:log_debug("returning login: " .. result)
end

local function make_room(now)
  if count < MAX_ENTRIES then
    return
  end
  for user, entry in pairs(entries) do
    if now - entry.verified >= LIFE then
      entries[user] = nil
      count = count - 1
    end
  end
  if count >= MAX_ENTRIES then
    entries, count = {}, 0
  end
end

function auth_password_verify(request, password)
  -- Neither field leaves the auth process with a successful reply.
  local forget = {["mailadmin_hash_id:remove"] = "y", ["mailadmin_after_hash:remove"] = "y"}
  local hash_id = request.passdb.mailadmin_hash_id
  if hash_id == nil then
    return auth.PASSDB_RESULT_INTERNAL_FAILURE, "the lookup step gave no mailadmin_hash_id"
  end
  local keyed = request:var_expand("%{sha256;salt=" .. key .. ":password}")
  local now = os.time()
  if request.passdb.mailadmin_after_hash ~= nil then
    if not request.skip_password_check then
      if request.passdbs_seen_internal_failure then
        return auth.PASSDB_RESULT_INTERNAL_FAILURE, "the password check failed"
      end
      return auth.PASSDB_RESULT_PASSWORD_MISMATCH, forget
    end
    if entries[request.user] == nil then
      make_room(now)
      count = count + 1
    end
    entries[request.user] = {hash_id = hash_id, keyed = keyed, verified = now}
    count_event(request, "stored")
    return auth.PASSDB_RESULT_OK, forget
  end
  local entry = entries[request.user]
  if entry ~= nil and now - entry.verified < LIFE and entry.hash_id == hash_id and entry.keyed == keyed then
    count_event(request, "hit")
    return auth.PASSDB_RESULT_OK, forget
  end
  count_event(request, "miss")
  return auth.PASSDB_RESULT_NEXT, ""
end
