// Streams the elements (objects or arrays) of one array member of a large JSON object
// (`{"shifts":[{...},{...}],...}`) without holding the whole document: bytes go in as they arrive,
// the bytes of each complete element come out, with the number of the element's top-level `"id"`
// member when it has one (read on the way, so that an element can be looked up before, or
// instead of, being parsed). Pure: no I/O.
//
// It tracks only nesting and strings (escapes included); it does not validate the JSON (an element
// is parsed by JSON.parse when needed, which does). Bytes >= 0x80 (UTF-8 continuation and lead
// bytes) never equal an ASCII delimiter, so scanning bytes is safe for any UTF-8 text.

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COLON = 0x3a;
const COMMA = 0x2c;
const MINUS = 0x2d;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const LETTER_I = 0x69;
const LETTER_D = 0x64;

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Bytes of numbers, literals (true false null) and whitespace: nothing the splitter acts on outside a string. */
const SCALAR = new Uint8Array(256);
for (const c of '0123456789+-.eEtrufalsn \t\n\r') SCALAR[c.charCodeAt(0)] = 1;

export interface SplitElement {
  /** The element's JSON text, as bytes (views of the chunks pushed: do not modify them). */
  bytes: Uint8Array;
  /** Its top-level `"id"` member when that is a non-negative integer, else undefined. */
  id: number | undefined;
}

export class JsonArraySplitter {
  readonly #member: string;
  #depth = 0;
  #inString = false;
  #escape = false;
  /** Bytes of the string being read at depth 1 (a candidate member name), across chunks. */
  #keyParts: Uint8Array[] | undefined;
  #lastKey: string | undefined;
  #expectValueOf: string | undefined;
  /** Depth of the wanted array's elements (2 while inside it), else -1. */
  #arrayDepth = -1;
  #found = false;
  #arrayClosed = false;
  /** Bytes of an element that began in an earlier chunk. */
  #carry: Uint8Array[] = [];
  #bytes = 0;
  #elements = 0;
  // The element's `"id"`: a key is expected (after `{` or `,` at the element's top level); the key
  // read was `id` (its length and letters, counted on the way); its digits so far.
  #expectKey = false;
  #keyLength = -1;
  #keyIsId = false;
  #afterIdColon = false;
  #idValue = -1;
  #id: number | undefined;

  constructor(member: string) {
    this.#member = member;
  }

  /** Whether the wanted member was found (an array) and has been read to its end. */
  get complete(): boolean {
    return this.#found && this.#arrayClosed;
  }

  get bytesRead(): number {
    return this.#bytes;
  }

  /** Elements completed so far. */
  get elementsRead(): number {
    return this.#elements;
  }

  /** Feeds the next bytes; returns every element they complete. */
  push(chunk: Uint8Array): SplitElement[] {
    this.#bytes += chunk.length;
    const out: SplitElement[] = [];
    const length = chunk.length;
    // the state, in locals for the loop
    let depth = this.#depth;
    let inString = this.#inString;
    let escape = this.#escape;
    let arrayDepth = this.#arrayDepth;
    let elements = this.#elements;
    let expectKey = this.#expectKey;
    let keyLength = this.#keyLength;
    let keyIsId = this.#keyIsId;
    let afterIdColon = this.#afterIdColon;
    let idValue = this.#idValue;
    /** Where the element being read started in this chunk (0 if it began in an earlier one), or -1. */
    let elementStart = this.#carry.length > 0 ? 0 : -1;
    let keyStart = -1;
    for (let i = 0; i < length; i++) {
      if (inString) {
        if (keyLength < 0 && this.#keyParts === undefined) {
          // the rest of a string that began in an earlier chunk
          i = skipString(chunk, escape ? i + 1 : i);
          if (i >= length) {
            escape = i > length;
            break;
          }
          escape = false;
          inString = false;
          continue;
        }
        // a member name being read: byte by byte
        const byte = chunk[i]!;
        if (escape) {
          escape = false;
          keyLength = -1; // an escaped key is not a plain `id`
        } else if (byte === BACKSLASH) escape = true;
        else if (byte === QUOTE) {
          inString = false;
          if (keyLength >= 0) keyIsId = keyLength === 2;
          if (this.#keyParts !== undefined) {
            this.#keyParts.push(chunk.subarray(keyStart === -1 ? 0 : keyStart, i));
            keyStart = -1;
            const parts = this.#keyParts;
            this.#keyParts = undefined;
            this.#lastKey = decoder.decode(parts.length === 1 ? parts[0] : concat(parts));
          }
        } else if (keyLength >= 0) {
          // a key of the element's top level: is it `id`?
          keyLength = (keyLength === 0 && byte === LETTER_I) || (keyLength === 1 && byte === LETTER_D) ? keyLength + 1 : -1;
        }
        continue;
      }
      const byte = chunk[i]!;
      if (afterIdColon) {
        // the value of `"id":`
        if (byte >= DIGIT_0 && byte <= DIGIT_9) {
          idValue = (idValue < 0 ? 0 : idValue * 10) + (byte - DIGIT_0);
          continue;
        }
        if (idValue < 0 && (byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09)) continue;
        afterIdColon = false;
        this.#id = idValue >= 0 && Number.isSafeInteger(idValue) && byte !== 0x2e && byte !== 0x65 && byte !== 0x45 && byte !== MINUS ? idValue : undefined; // not . e E
        idValue = -1;
      }
      switch (byte) {
        case QUOTE:
          if (depth === 1) {
            // a member name of the document: read byte by byte
            inString = true;
            this.#keyParts = [];
            keyStart = i + 1;
          } else if (expectKey && depth === arrayDepth + 1 && i + 3 >= length) {
            // a member name of the element, cut by the chunk's end before it could be told from `id`
            inString = true;
            keyLength = 0;
          } else {
            if (expectKey && depth === arrayDepth + 1) keyIsId = chunk[i + 1] === LETTER_I && chunk[i + 2] === LETTER_D && chunk[i + 3] === QUOTE;
            // the common case: skip to the closing quote
            i = skipString(chunk, i + 1);
            if (i >= length) {
              inString = true;
              escape = i > length;
            }
          }
          expectKey = false;
          break;
        case COLON:
          if (depth === 1) this.#expectValueOf = this.#lastKey;
          else if (keyIsId && depth === arrayDepth + 1) afterIdColon = true;
          keyIsId = false;
          keyLength = -1;
          break;
        case COMMA:
          if (depth === 1) this.#expectValueOf = undefined;
          else if (depth === arrayDepth + 1) expectKey = true;
          break;
        case OPEN_BRACE:
        case OPEN_BRACKET:
          if (depth === 1 && byte === OPEN_BRACKET && this.#expectValueOf === this.#member && !this.#found) {
            this.#found = true;
            arrayDepth = 2;
          } else if (depth === arrayDepth) {
            elementStart = i; // an element starts
            this.#id = undefined;
            expectKey = byte === OPEN_BRACE;
          }
          depth += 1;
          break;
        case CLOSE_BRACE:
        case CLOSE_BRACKET:
          depth -= 1;
          if (depth < 0) throw new SyntaxError('unbalanced JSON: more closing than opening brackets');
          if (depth === arrayDepth) {
            // an element ends at i
            elements += 1;
            let bytes: Uint8Array;
            if (this.#carry.length > 0) {
              this.#carry.push(chunk.subarray(0, i + 1));
              bytes = concat(this.#carry);
              this.#carry = [];
            } else {
              // a plain view (not a Buffer's subarray: that costs a Buffer per element)
              bytes = new Uint8Array(chunk.buffer, chunk.byteOffset + elementStart, i + 1 - elementStart);
            }
            out.push({ bytes, id: this.#id });
            this.#id = undefined;
            elementStart = -1;
          } else if (depth === 1 && arrayDepth === 2) {
            arrayDepth = -1;
            this.#arrayClosed = true;
          }
          break;
        default:
          // a number, a literal or whitespace: skip the rest of the run in a tight loop
          while (i + 1 < length && SCALAR[chunk[i + 1]!] === 1) i++;
      }
    }
    if (elementStart >= 0) {
      // keep the unfinished element's bytes (copied: the caller may reuse its buffer)
      this.#carry.push(chunk.slice(elementStart));
    }
    if (inString && this.#keyParts !== undefined) {
      // a member name cut by the chunk's end: keep (a copy of) its bytes so far
      this.#keyParts.push(chunk.slice(keyStart === -1 ? 0 : keyStart));
    }
    this.#depth = depth;
    this.#inString = inString;
    this.#escape = escape;
    this.#arrayDepth = arrayDepth;
    this.#elements = elements;
    this.#expectKey = expectKey;
    this.#keyLength = keyLength;
    this.#keyIsId = keyIsId;
    this.#afterIdColon = afterIdColon;
    this.#idValue = idValue;
    return out;
  }

  /** Call after the last chunk: throws when the document ended early or lacked the member. */
  end(): void {
    if (this.#inString || this.#depth !== 0) throw new SyntaxError('the JSON document ended early');
    if (!this.#found) throw new SyntaxError(`the JSON document has no "${this.#member}" array`);
  }
}

/**
 * The index of the quote that closes the string whose contents `chunk` holds from `from` on (not an
 * escaped byte); `chunk.length` when the chunk ends inside the string, `chunk.length + 1` when it
 * ends just after a backslash (the next chunk's first byte is escaped). A tight loop: the strings
 * of a shift are short (a native indexOf per string costs more than it saves).
 */
function skipString(chunk: Uint8Array, from: number): number {
  const length = chunk.length;
  let i = from;
  while (i < length) {
    const byte = chunk[i]!;
    if (byte === QUOTE) return i;
    i += byte === BACKSLASH ? 2 : 1;
  }
  return i;
}

function concat(parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** An element's value (JSON.parse of its bytes, decoded as strict UTF-8). */
export function parseElement(bytes: Uint8Array): unknown {
  return JSON.parse(decoder.decode(bytes));
}
