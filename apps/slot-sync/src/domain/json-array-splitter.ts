// Streams the elements (objects or arrays) of one array member of a large JSON object (`{"shifts":[{...},{...}],...}`)
// without holding the whole document: bytes go in as they arrive, the JSON text of each complete
// element comes out. Pure: no I/O.
//
// It tracks only nesting and strings (escapes included); it does not validate the JSON (each
// element is parsed by JSON.parse afterwards, which does). Bytes >= 0x80 (UTF-8 continuation and
// lead bytes) never equal an ASCII delimiter, so scanning bytes is safe for any UTF-8 text.

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COLON = 0x3a;

const decoder = new TextDecoder('utf-8', { fatal: true });

export class JsonArraySplitter {
  readonly #member: string;
  #depth = 0;
  #inString = false;
  #escape = false;
  /** Bytes of the string being read at depth 1 (a candidate member name). */
  #keyBytes: number[] | undefined;
  #lastKey: string | undefined;
  #expectValueOf: string | undefined;
  /** Depth of the wanted array's elements (array depth + 1 when inside it). */
  #arrayDepth = -1;
  #found = false;
  #arrayClosed = false;
  /** Start of the element being read in the current chunk, or -1; bytes of it from earlier chunks. */
  #elementStart = -1;
  #carry: Uint8Array[] = [];
  #bytes = 0;
  #elements = 0;

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

  /**
   * Feeds the next bytes; returns the JSON text of the elements completed by them (elements that
   * follow each other inside one chunk come as one text, still separated by their commas).
   */
  push(chunk: Uint8Array): string[] {
    this.#bytes += chunk.length;
    const out: string[] = [];
    // Contiguous run of complete elements inside this chunk: decoded in one go.
    let runStart = -1;
    let runEnd = -1;
    const flushRun = (): void => {
      if (runStart >= 0) {
        out.push(decoder.decode(chunk.subarray(runStart, runEnd)));
        runStart = -1;
      }
    };
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      if (this.#inString) {
        if (this.#keyBytes !== undefined && !(byte === QUOTE && !this.#escape)) this.#keyBytes.push(byte);
        if (this.#escape) this.#escape = false;
        else if (byte === BACKSLASH) this.#escape = true;
        else if (byte === QUOTE) {
          this.#inString = false;
          if (this.#keyBytes !== undefined) {
            this.#lastKey = decoder.decode(new Uint8Array(this.#keyBytes));
            this.#keyBytes = undefined;
          }
        }
        continue;
      }
      switch (byte) {
        case QUOTE:
          this.#inString = true;
          if (this.#depth === 1) this.#keyBytes = [];
          break;
        case COLON:
          if (this.#depth === 1) this.#expectValueOf = this.#lastKey;
          break;
        case OPEN_BRACE:
        case OPEN_BRACKET:
          if (this.#depth === 1 && byte === OPEN_BRACKET && this.#expectValueOf === this.#member && !this.#found) {
            this.#found = true;
            this.#arrayDepth = 2;
          } else if (this.#depth === this.#arrayDepth) {
            // an element starts
            this.#elementStart = i;
          }
          this.#depth += 1;
          break;
        case CLOSE_BRACE:
        case CLOSE_BRACKET:
          this.#depth -= 1;
          if (this.#depth === this.#arrayDepth) {
            // an element ends at i
            this.#elements += 1;
            if (this.#carry.length > 0) {
              flushRun();
              this.#carry.push(chunk.subarray(0, i + 1));
              out.push(decoder.decode(concat(this.#carry)));
              this.#carry = [];
            } else if (runStart < 0) {
              runStart = this.#elementStart;
              runEnd = i + 1;
            } else {
              runEnd = i + 1;
            }
            this.#elementStart = -1;
          } else if (this.#depth === 1 && this.#arrayDepth === 2) {
            this.#arrayDepth = -1;
            this.#arrayClosed = true;
          }
          if (this.#depth < 0) throw new SyntaxError('unbalanced JSON: more closing than opening brackets');
          break;
        default:
          if (this.#depth === 1 && byte === 0x2c) this.#expectValueOf = undefined; // ','
      }
    }
    flushRun();
    if (this.#elementStart >= 0) {
      // keep the unfinished element's bytes (copied: the caller may reuse its buffer)
      this.#carry.push(chunk.slice(this.#elementStart));
      this.#elementStart = 0;
    }
    return out;
  }

  /** Call after the last chunk: throws when the document ended early or lacked the member. */
  end(): void {
    if (this.#inString || this.#depth !== 0) throw new SyntaxError('the JSON document ended early');
    if (!this.#found) throw new SyntaxError(`the JSON document has no "${this.#member}" array`);
  }
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

/**
 * The elements of `texts` (each the JSON text of one element, or of several separated by commas)
 * parsed in one JSON.parse call.
 */
export function parseElements(texts: string[]): unknown[] {
  if (texts.length === 0) return [];
  return JSON.parse(`[${texts.join(',')}]`) as unknown[];
}
