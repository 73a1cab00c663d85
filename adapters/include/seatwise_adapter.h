/*
 * seatwise_adapter.h: the Seatwise adapter plugin ABI, version 1, for C
 * (C99 and later) and for any language that can read C declarations.
 *
 * The contract is described in adapters/ABI.md; the Rust definitions are
 * adapters/sdk/src/abi.rs. A test (adapters/sdk/tests/c_header.rs) compiles
 * this header and checks that both agree, so a change to one side that is
 * not made on the other fails CI.
 *
 * Besides the declarations, this header carries optional helpers (all
 * `static inline`, nothing to link) that spare a C plugin most JSON work:
 * SeatwiseOut builds an answer, seatwise_json_* read fields of the input.
 * Define SEATWISE_NO_HELPERS before including it to get the declarations only.
 *
 * Ownership, in one paragraph: the input a call receives belongs to the host
 * and is valid only during the call; the buffer a call returns belongs to the
 * plugin until the host hands it back, unchanged and exactly once, to the
 * same descriptor's free_buffer. The descriptor must live until the process
 * exits: the host never unloads a plugin.
 *
 * Threading, in one paragraph: `call` runs concurrently on several host
 * threads (also several calls of the same method); `free_buffer` may run on
 * any thread. Protect shared state. A call that exceeds its timeout keeps
 * running but its answer is discarded and the call may be retried with the
 * same operation id: be idempotent.
 */
#ifndef SEATWISE_ADAPTER_H
#define SEATWISE_ADAPTER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ABI version this header describes (abi.rs: ABI_VERSION). */
#define SEATWISE_ABI_VERSION 1u

/* Name of the one exported symbol (abi.rs: ENTRY_SYMBOL). */
#define SEATWISE_ENTRY_SYMBOL "seatwise_adapter_entry"

/* Method ids passed as `method` to `call` (abi.rs: Method). */
#define SEATWISE_METHOD_INFO 1u
#define SEATWISE_METHOD_CHANGE_SEATS 2u
#define SEATWISE_METHOD_POLL_SEAT_CHANGE 3u
#define SEATWISE_METHOD_INSTALL_REDIRECT 4u
#define SEATWISE_METHOD_ASSIGNMENTS_CHANGED 5u
#define SEATWISE_METHOD_REPORT_USAGE 6u
#define SEATWISE_METHOD_HANDLE_WEBHOOK 7u

/*
 * A byte buffer allocated by the plugin and returned to the host
 * (abi.rs: ByteBuffer). Holds UTF-8 JSON, not NUL-terminated.
 * A NULL ptr is reported by the host as malformed output and is never passed
 * to free_buffer.
 */
typedef struct SeatwiseBuffer {
    uint8_t *ptr; /* first byte; NULL means "no answer" (malformed output) */
    size_t len;   /* number of bytes at ptr */
} SeatwiseBuffer;

/*
 * Performs one method (abi.rs: CallFn). `input` points to `input_len` bytes
 * of UTF-8 JSON owned by the host, valid only during the call, not
 * NUL-terminated, never to be written; it may be NULL when input_len is 0
 * (method info). Called concurrently from several threads.
 */
typedef SeatwiseBuffer (*SeatwiseCallFn)(uint32_t method, const uint8_t *input,
                                         size_t input_len);

/*
 * Releases a buffer that `call` returned (abi.rs: FreeBufferFn). The host
 * calls it exactly once per non-NULL buffer, with the struct unchanged, on
 * any thread. It should ignore a NULL ptr.
 */
typedef void (*SeatwiseFreeBufferFn)(SeatwiseBuffer buffer);

/*
 * The static table the entry symbol returns (abi.rs: AdapterDescriptor).
 * abi_version is the first field in every ABI version, forever.
 */
typedef struct SeatwiseAdapterDescriptor {
    uint32_t abi_version;             /* SEATWISE_ABI_VERSION */
    SeatwiseCallFn call;              /* must not be NULL */
    SeatwiseFreeBufferFn free_buffer; /* must not be NULL */
} SeatwiseAdapterDescriptor;

/* Type of the entry symbol (abi.rs: EntryFn). */
typedef const SeatwiseAdapterDescriptor *(*SeatwiseEntryFn)(void);

/*
 * Marks the entry symbol as exported from the shared library:
 * __declspec(dllexport) on Windows, default visibility with GCC and Clang
 * (which matters when building with -fvisibility=hidden).
 */
#if defined(_WIN32) || defined(__CYGWIN__)
#define SEATWISE_EXPORT __declspec(dllexport)
#elif defined(__GNUC__)
#define SEATWISE_EXPORT __attribute__((visibility("default")))
#else
#define SEATWISE_EXPORT
#endif

/*
 * The one symbol a plugin must export, with C linkage. Returns a pointer to a
 * descriptor that stays valid for the life of the process (a static), and
 * does nothing else. Other exported symbols are allowed and ignored.
 */
SEATWISE_EXPORT const SeatwiseAdapterDescriptor *seatwise_adapter_entry(void);

#ifdef __cplusplus
}
#endif

#ifndef SEATWISE_NO_HELPERS
/* ------------------------------------------------------------------------ */
/* Optional helpers. They allocate with malloc; pair every buffer they make  */
/* with seatwise_buffer_free as the descriptor's free_buffer.               */
/* ------------------------------------------------------------------------ */

#include <stdlib.h>
#include <string.h>

/* A copy of the NUL-terminated `json` in a new buffer (ptr NULL if out of memory). */
static inline SeatwiseBuffer seatwise_buffer_from_string(const char *json) {
    SeatwiseBuffer out;
    out.len = strlen(json);
    out.ptr = (uint8_t *)malloc(out.len > 0 ? out.len : 1);
    if (out.ptr != NULL) {
        memcpy(out.ptr, json, out.len);
    }
    return out;
}

/* Frees a buffer made by these helpers; usable as the descriptor's free_buffer. */
static inline void seatwise_buffer_free(SeatwiseBuffer buffer) { free(buffer.ptr); }

/*
 * SeatwiseOut: builds one JSON answer piece by piece. Start with
 * `SeatwiseOut out = {0};`, append, then seatwise_out_finish. Any allocation
 * failure is remembered and makes finish return a NULL buffer.
 */
typedef struct SeatwiseOut {
    uint8_t *data;
    size_t len;
    size_t cap;
    int failed;
} SeatwiseOut;

/* Appends `len` bytes as they are (JSON syntax the caller wrote). */
static inline void seatwise_out_bytes(SeatwiseOut *out, const char *bytes, size_t len) {
    if (out->failed) {
        return;
    }
    if (len > SIZE_MAX / 2 - out->len) {
        out->failed = 1;
        return;
    }
    if (out->len + len > out->cap) {
        size_t cap = out->cap > 0 ? out->cap : 128;
        while (cap < out->len + len) {
            cap *= 2;
        }
        uint8_t *grown = (uint8_t *)realloc(out->data, cap);
        if (grown == NULL) {
            out->failed = 1;
            return;
        }
        out->data = grown;
        out->cap = cap;
    }
    if (len > 0) {
        memcpy(out->data + out->len, bytes, len);
    }
    out->len += len;
}

/* Appends NUL-terminated raw JSON, e.g. "{\"ok\":{\"status\":\"completed\",\"quantity\":". */
static inline void seatwise_out_raw(SeatwiseOut *out, const char *json) {
    seatwise_out_bytes(out, json, strlen(json));
}

/* Appends `text` (UTF-8, NUL-terminated) as a quoted, escaped JSON string. */
static inline void seatwise_out_string(SeatwiseOut *out, const char *text) {
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p;
    seatwise_out_bytes(out, "\"", 1);
    for (p = (const unsigned char *)text; *p != 0; p++) {
        if (*p == '"' || *p == '\\') {
            char escaped[2];
            escaped[0] = '\\';
            escaped[1] = (char)*p;
            seatwise_out_bytes(out, escaped, 2);
        } else if (*p < 0x20) {
            char escaped[6] = {'\\', 'u', '0', '0', 0, 0};
            escaped[4] = hex[*p >> 4];
            escaped[5] = hex[*p & 0xf];
            seatwise_out_bytes(out, escaped, 6);
        } else {
            seatwise_out_bytes(out, (const char *)p, 1);
        }
    }
    seatwise_out_bytes(out, "\"", 1);
}

/* Appends a non-negative integer (u32 and u64 fields). */
static inline void seatwise_out_u64(SeatwiseOut *out, uint64_t value) {
    char digits[20];
    size_t n = 0;
    do {
        digits[sizeof digits - 1 - n] = (char)('0' + value % 10);
        value /= 10;
        n++;
    } while (value > 0);
    seatwise_out_bytes(out, digits + sizeof digits - n, n);
}

/* The finished answer, owned by the caller (NULL ptr if an append failed). */
static inline SeatwiseBuffer seatwise_out_finish(SeatwiseOut *out) {
    SeatwiseBuffer buffer;
    if (out->failed || out->len == 0) {
        free(out->data);
        buffer.ptr = NULL;
        buffer.len = 0;
    } else {
        buffer.ptr = out->data;
        buffer.len = out->len;
    }
    out->data = NULL;
    out->len = out->cap = 0;
    out->failed = 0;
    return buffer;
}

/* {"error":{"kind":KIND,"message":MESSAGE}}; kind is "transient",
 * "permanent" or "invalid_settings". */
static inline SeatwiseBuffer seatwise_error(const char *kind, const char *message) {
    SeatwiseOut out = {0};
    seatwise_out_raw(&out, "{\"error\":{\"kind\":");
    seatwise_out_string(&out, kind);
    seatwise_out_raw(&out, ",\"message\":");
    seatwise_out_string(&out, message);
    seatwise_out_raw(&out, "}}");
    return seatwise_out_finish(&out);
}

/* {"bad_call":{"message":MESSAGE}}: unknown method or unexpected input. */
static inline SeatwiseBuffer seatwise_bad_call(const char *message) {
    SeatwiseOut out = {0};
    seatwise_out_raw(&out, "{\"bad_call\":{\"message\":");
    seatwise_out_string(&out, message);
    seatwise_out_raw(&out, "}}");
    return seatwise_out_finish(&out);
}

/*
 * Reading the input. A SeatwiseJson is one JSON value inside the host's
 * input (no copy; valid while the input is). seatwise_json_input wraps the
 * whole input; seatwise_json_get walks object keys; the getters convert a
 * value. All return 1 on success and 0 otherwise (absent, wrong type,
 * malformed JSON, does not fit), never reading outside the input.
 */
typedef struct SeatwiseJson {
    const uint8_t *ptr;
    size_t len;
} SeatwiseJson;

static inline SeatwiseJson seatwise_json_input(const uint8_t *input, size_t input_len) {
    SeatwiseJson doc;
    doc.ptr = input;
    doc.len = input != NULL ? input_len : 0;
    return doc;
}

static inline size_t seatwise_json__ws(SeatwiseJson doc, size_t at) {
    while (at < doc.len && (doc.ptr[at] == ' ' || doc.ptr[at] == '\t' ||
                            doc.ptr[at] == '\n' || doc.ptr[at] == '\r')) {
        at++;
    }
    return at;
}

/* End of the string starting at `at` (which holds '"'), or 0 if unterminated. */
static inline size_t seatwise_json__string_end(SeatwiseJson doc, size_t at) {
    for (at++; at < doc.len; at++) {
        if (doc.ptr[at] == '\\') {
            at++;
        } else if (doc.ptr[at] == '"') {
            return at + 1;
        }
    }
    return 0;
}

/* End of the value starting at `at`, or 0 if malformed. Nesting is tracked
 * with a counter, not recursion, so hostile depth cannot exhaust the stack. */
static inline size_t seatwise_json__value_end(SeatwiseJson doc, size_t at) {
    size_t depth = 0;
    at = seatwise_json__ws(doc, at);
    if (at >= doc.len) {
        return 0;
    }
    do {
        uint8_t c;
        at = seatwise_json__ws(doc, at);
        if (at >= doc.len) {
            return 0;
        }
        c = doc.ptr[at];
        if (c == '"') {
            at = seatwise_json__string_end(doc, at);
            if (at == 0) {
                return 0;
            }
        } else if (c == '{' || c == '[') {
            depth++;
            at++;
        } else if (c == '}' || c == ']') {
            if (depth == 0) {
                return 0;
            }
            depth--;
            at++;
        } else if (c == ',' || c == ':') {
            if (depth == 0) {
                return 0;
            }
            at++;
        } else {
            size_t start = at;
            while (at < doc.len && doc.ptr[at] != ',' && doc.ptr[at] != '}' &&
                   doc.ptr[at] != ']' && doc.ptr[at] != ' ' && doc.ptr[at] != '\n' &&
                   doc.ptr[at] != '\r' && doc.ptr[at] != '\t' && doc.ptr[at] != ':') {
                at++;
            }
            if (at == start) {
                return 0;
            }
        }
    } while (depth > 0);
    return at;
}

/* The value of `key` in the object `object` (keys compared byte for byte,
 * unescaped keys only, which is all the host sends). */
static inline int seatwise_json_get(SeatwiseJson object, const char *key, SeatwiseJson *value) {
    size_t key_len = strlen(key);
    size_t at = seatwise_json__ws(object, 0);
    if (at >= object.len || object.ptr[at] != '{') {
        return 0;
    }
    at = seatwise_json__ws(object, at + 1);
    if (at < object.len && object.ptr[at] == '}') {
        return 0;
    }
    while (at < object.len && object.ptr[at] == '"') {
        size_t key_start = at + 1;
        size_t key_end = seatwise_json__string_end(object, at);
        size_t value_start;
        size_t value_end;
        if (key_end == 0) {
            return 0;
        }
        at = seatwise_json__ws(object, key_end);
        if (at >= object.len || object.ptr[at] != ':') {
            return 0;
        }
        value_start = seatwise_json__ws(object, at + 1);
        value_end = seatwise_json__value_end(object, value_start);
        if (value_end == 0) {
            return 0;
        }
        if (key_end - 1 - key_start == key_len &&
            memcmp(object.ptr + key_start, key, key_len) == 0) {
            value->ptr = object.ptr + value_start;
            value->len = value_end - value_start;
            return 1;
        }
        at = seatwise_json__ws(object, value_end);
        if (at >= object.len || object.ptr[at] != ',') {
            return 0;
        }
        at = seatwise_json__ws(object, at + 1);
    }
    return 0;
}

/* A non-negative integer value (no sign, fraction or exponent). */
static inline int seatwise_json_u64(SeatwiseJson value, uint64_t *out) {
    uint64_t n = 0;
    size_t i;
    if (value.len == 0) {
        return 0;
    }
    for (i = 0; i < value.len; i++) {
        unsigned digit = (unsigned)(value.ptr[i] - '0');
        if (digit > 9 || n > (UINT64_MAX - digit) / 10) {
            return 0;
        }
        n = n * 10 + digit;
    }
    *out = n;
    return 1;
}

/* A string value, unescaped into `out` (NUL-terminated, at most out_size
 * bytes including the NUL). \u escapes outside ASCII, and strings that do
 * not fit, are refused. */
static inline int seatwise_json_string(SeatwiseJson value, char *out, size_t out_size) {
    size_t i;
    size_t n = 0;
    if (value.len < 2 || value.ptr[0] != '"' || value.ptr[value.len - 1] != '"' ||
        out_size == 0) {
        return 0;
    }
    for (i = 1; i + 1 < value.len; i++) {
        uint8_t c = value.ptr[i];
        if (c == '\\') {
            if (++i + 1 >= value.len) {
                return 0;
            }
            switch (value.ptr[i]) {
            case '"': c = '"'; break;
            case '\\': c = '\\'; break;
            case '/': c = '/'; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'n': c = '\n'; break;
            case 'r': c = '\r'; break;
            case 't': c = '\t'; break;
            case 'u': {
                unsigned code = 0;
                size_t k;
                if (i + 5 >= value.len) {
                    return 0;
                }
                for (k = 1; k <= 4; k++) {
                    uint8_t h = value.ptr[i + k];
                    code <<= 4;
                    if (h >= '0' && h <= '9') code |= (unsigned)(h - '0');
                    else if (h >= 'a' && h <= 'f') code |= (unsigned)(h - 'a' + 10);
                    else if (h >= 'A' && h <= 'F') code |= (unsigned)(h - 'A' + 10);
                    else return 0;
                }
                if (code == 0 || code > 0x7f) {
                    return 0;
                }
                c = (uint8_t)code;
                i += 4;
                break;
            }
            default: return 0;
            }
        }
        if (n + 1 >= out_size) {
            return 0;
        }
        out[n++] = (char)c;
    }
    out[n] = '\0';
    return 1;
}

#endif /* SEATWISE_NO_HELPERS */

#endif /* SEATWISE_ADAPTER_H */
