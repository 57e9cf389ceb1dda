// Health-term lexicon and its matcher. Trust level: pure; loads the bundled term lists in
// data/lexicon once (project files, not user input) and matches untrusted text.
// Matching is a token trie built once: text is lower-cased, split into letter/digit tokens, and each
// token position walks the trie (longest match wins), so cost is linear in the text and independent
// of the number of terms — no regex per term. Inflection tolerance: plural forms of each term's last
// word are added to the trie at build time (s / es / ies), and possessives tokenise the same way in
// terms and text ("Crohn's" = crohn + s). Abbreviations written in upper case in a list (ALT, CT)
// only match text written in capitals, so "alt" or "Nash" do not count.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isCommonEnglish } from './english.js';
import { FILTER_SIZE, FNV_OFFSET, FNV_PRIME, type Triggers, codeUnits, filterKey, inFilter, lowerSameLength, newFilter, setFilter, tokenHash, triggerIndex } from './scan.js';

export type HealthCategory = 'diagnosis' | 'medication' | 'procedure' | 'test' | 'clinical' | string;

export interface TermInfo {
  term: string;
  category: HealthCategory;
  weight: number;
  /** Abbreviation: the text token must be written in capitals. */
  upper: boolean;
  /** How a reason shows it: 'term'. */
  label: string;
  /** Written with '/' ("f/u", "s/p"): the text must spell it exactly so "Smith's p" is not "s/p". */
  exact?: boolean;
}

export interface TermHit {
  info: TermInfo;
  start: number;
  end: number;
}


export interface LexiconTerm {
  term: string;
  category: string;
  weight: number;
}

/**
 * Directory of the bundled lists: the nearest data/lexicon above this module (src/policy under
 * vitest, dist/policy when built, or a test build directory inside the project).
 */
export const BUNDLED_LEXICON_DIR = findLexiconDir();

function findLexiconDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'data', 'lexicon');
    if (existsSync(join(candidate, 'README.md'))) return candidate + sep;
    dir = dirname(dir);
  }
  return fileURLToPath(new URL('../../data/lexicon/', import.meta.url));
}

/** Parse one list file (format in data/lexicon/README.md). */
export function parseLexiconFile(text: string, fallbackCategory: string): LexiconTerm[] {
  let category = fallbackCategory;
  let weight = 1;
  const out: LexiconTerm[] = [];
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (!line) continue;
    if (line.startsWith('#')) {
      const c = /^#\s*category:\s*(\S+)/.exec(line);
      if (c) category = c[1]!;
      const w = /^#\s*weight:\s*([0-9.]+)/.exec(line);
      if (w) weight = Number(w[1]);
      continue;
    }
    const [term, w] = line.split('|').map((x) => x.trim());
    if (!term) continue;
    out.push({ term, category, weight: w ? Number(w) : weight });
  }
  return out;
}

export function loadBundledTerms(dir = BUNDLED_LEXICON_DIR): LexiconTerm[] {
  const terms: LexiconTerm[] = [];
  for (const f of readdirSync(dir).sort()) {
    if (!f.endsWith('.txt')) continue;
    terms.push(...parseLexiconFile(readFileSync(dir + f, 'utf8'), f.replace(/\.txt$/, '')));
  }
  return terms;
}

const TOKEN = /[a-z0-9\u00c0-\u024f]+/g;

export function tokenize(s: string): string[] {
  return s.toLowerCase().match(TOKEN) ?? [];
}

/**
 * A token in British (and Commonwealth) medical spelling: anaemia, oedema, haemoglobin, apnoea,
 * diarrhoea, coeliac, tumour, paediatric, orthopaedic, gynaecology, anaesthetic, ischaemia,
 * oestrogen, foetal, hospitalised, neurone, behaviour, sulphate. Applied when the lexicon is built,
 * so the token pass is unchanged.
 */
export function britishSpelling(tok: string): string {
  if (tok.length < 4) return tok;
  return tok
    .replace(/^(edem|esophag|estrog|estradiol)/, 'o$1')
    .replace(/^fet(al|us|uses)$/, 'foet$1')
    .replace(/^(hyper|hypo|an|dys|poly)?hem(?=at|o|orrh|olys|angi|ophil)/, (_m, pre: string | undefined) => `${pre ?? ''}haem`)
    .replace(/(?<!syst|acad|boh)([^a])emi(a|as|c)$/, '$1aemi$2')
    .replace(/pnea(s?)$/, 'pnoea$1')
    .replace(/rrhea(l?)$/, 'rrhoea$1')
    .replace(/^celiac$/, 'coeliac')
    .replace(/^(tum|behavi|col|hum)or(s?)$/, '$1our$2')
    .replace(/^(ortho)?ped(iatric|iatrics|iatrician|ic|ics)$/, (_m, o: string | undefined, rest: string) => `${o ?? ''}paed${rest}`)
    .replace(/^(gyn|an|ischem)(ec|esth|i)/, (m) => (m.startsWith('gynec') ? 'gynaec' : m.startsWith('anesth') ? 'anaesth' : m.startsWith('ischemi') ? 'ischaemi' : m))
    .replace(/^neuron$/, 'neurone')
    .replace(/iz(e|ed|es|ing|ation)$/, 'is$1')
    .replace(/^sulf(a|ur|on)/, 'sulph$1')
    .replace(/^cesarean$/, 'caesarean');
}

function pluralVariants(tok: string): string[] {
  if (/\d$/.test(tok) || tok.length < 3) return [];
  const v = [tok + 's'];
  if (/(s|x|z|ch|sh)$/.test(tok)) v.push(tok + 'es');
  if (/[^aeiou]y$/.test(tok)) v.push(tok.slice(0, -1) + 'ies');
  if (/is$/.test(tok)) v.push(tok.slice(0, -2) + 'es'); // diagnosis -> diagnoses
  return v;
}

function upperOk(text: string, start: number, end: number): boolean {
  let up = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 65 && c <= 90) up++;
  }
  return up >= 2 || (end - start === 1 && up === 1);
}

/** Slot of a trie edge (parent node, token hash) in the edge table. */
function edgeSlot(h: number, parent: number): number {
  return h ^ (h >>> 15) ^ Math.imul(parent + 1, 0x9e3779b1);
}

export class Lexicon {
  /**
   * The term trie as one open-addressing table of edges (parent node, token) -> child node, in a
   * typed array of (token hash, parent, child) triples, so one probe reads one cache line: a text
   * token is looked up by the hash computed while scanning it, without a substring or a Map probe.
   * Node 0 is the root; a child id of 0 marks an empty slot.
   */
  private readonly edges: Int32Array;
  private readonly edgeToken: string[];
  private readonly edgeMask: number;
  /** Node id -> the term ending there. */
  private readonly infos: Array<TermInfo | undefined> = [undefined];
  /** Bits over filterKey() of every first token, so most text tokens are skipped without a lookup. */
  private readonly firstFilter = newFilter();
  /** Every token that occurs in some term (used to reject "names" that are medical words). */
  readonly vocabulary = new Set<string>();
  readonly size: number;

  constructor(listed: LexiconTerm[]) {
    let n = 0;
    // head nouns and salt words go in the same trie (category HEAD / SALT); match() turns them into
    // a diagnosis or medication from the word before them, or drops them. A listed term wins.
    const own = new Set(listed.map((t) => t.term.toLowerCase()));
    const terms = [...CONTEXT_TERMS.filter((t) => !own.has(t.term)), ...listed];
    const edges = new Map<string, number>();
    const edgeList: Array<[number, string, number]> = [];
    for (const t of terms) {
      const toks = tokenize(t.term);
      if (toks.length === 0 || !Number.isFinite(t.weight)) continue;
      const upper = toks.length === 1 && /^[A-Z]{2,6}$/.test(t.term.trim());
      const info: TermInfo = { term: t.term.toLowerCase(), category: t.category, weight: t.weight, upper, label: `'${t.term.toLowerCase()}'` };
      if (t.term.includes('/')) info.exact = true;
      for (const tk of toks) this.vocabulary.add(tk);
      // the term as written and, if it differs, in British spelling ("anemia" / "anaemia")
      const uk = toks.map(britishSpelling);
      const forms = uk.some((tk, i) => tk !== toks[i]) ? [toks, uk] : [toks];
      for (const tk of uk) this.vocabulary.add(tk);
      for (const form of forms) {
      const last = form[form.length - 1]!;
      for (const lastForm of [last, ...pluralVariants(last)]) {
        const seq = [...form.slice(0, -1), lastForm];
        let node = 0;
        for (const tk of seq) {
          let child = edges.get(`${node} ${tk}`);
          if (child === undefined) {
            child = this.infos.length;
            this.infos.push(undefined);
            edges.set(`${node} ${tk}`, child);
            edgeList.push([node, tk, child]);
          }
          node = child;
        }
        // later lists (organization terms) override bundled weights for the same term
        this.infos[node] = info;
        setFilter(this.firstFilter, filterKey(seq[0]!, 0, seq[0]!.length));
      }
      }
      n++;
    }
    this.size = n - CONTEXT_TERMS.filter((t) => !own.has(t.term)).length;
    let slots = 16;
    while (slots < edgeList.length * 2) slots *= 2;
    this.edgeMask = slots - 1;
    this.edges = new Int32Array(slots * 3);
    this.edgeToken = new Array<string>(slots).fill('');
    for (const [parent, tk, child] of edgeList) {
      const h = tokenHash(tk, 0, tk.length);
      let slot = edgeSlot(h, parent) & this.edgeMask;
      while (this.edges[slot * 3 + 2] !== 0) slot = (slot + 1) & this.edgeMask;
      this.edges[slot * 3] = h;
      this.edges[slot * 3 + 1] = parent;
      this.edges[slot * 3 + 2] = child;
      this.edgeToken[slot] = tk;
    }
  }

  /** Child of `parent` by the token lower[s, e) whose tokenHash is h; 0 if there is none. */
  private child(parent: number, lower: string, s: number, e: number, h: number): number {
    const edges = this.edges;
    let slot = edgeSlot(h, parent) & this.edgeMask;
    for (;;) {
      const c = edges[slot * 3 + 2]!;
      if (c === 0) return 0;
      if (edges[slot * 3] === h && edges[slot * 3 + 1] === parent) {
        const tk = this.edgeToken[slot]!;
        if (tk.length === e - s && lower.startsWith(tk, s)) return c;
      }
      slot = (slot + 1) & this.edgeMask;
    }
  }

  /** All longest, non-overlapping term occurrences in `text`, in order. */
  /**
   * `digits`, when given, receives the runs of ASCII digits of the text as [start, end, ...] (the
   * same as scan.ts digitRuns): digits are token characters, so this pass sees every one of them.
   */
  /** The morphology guess for the token [s, e) that is not a listed term. */
  private morphology(text: string, lower: string, s: number, e: number, hits: TermHit[]): void {
    // Title-Case words are mostly names and places (Tacoma, Sonoma): no morphology guess for them
    if (e - s >= MORPH_MIN_LEN && !(text.charCodeAt(s) < 97 && text.charCodeAt(s + 1) >= 97)) {
      const info = morphologyHit(lower, s, e);
      if (info) hits.push({ info, start: s, end: e });
    }
  }

  match(text: string, lower = lowerSameLength(text), triggers?: Triggers, digits?: number[]): TermHit[] {
    const n = lower.length;
    // the characters are read from a typed array (codeUnits); lower itself only for whole tokens
    const u = codeUnits(lower);
    const filter = this.firstFilter;
    const hits: TermHit[] = [];
    const tix = triggers ? triggerIndex() : undefined;
    const tfilter = tix?.filter;
    let i = 0;
    while (i < n) {
      // next token [s, e), hashed while it is scanned (tokenHash; filterKey folds it)
      while (i < n && !isTokenChar(u[i]!)) i++;
      if (i >= n) break;
      const s = i;
      let h = FNV_OFFSET;
      let c = u[i]!;
      do {
        h = Math.imul(h ^ c, FNV_PRIME);
        if (c < 58 && c >= 48 && digits !== undefined) {
          // a run of digits: hashed here as the loop would, and recorded
          const ds = i;
          let d = i + 1 < n ? u[i + 1]! : 0;
          while (d >= 48 && d <= 57) {
            h = Math.imul(h ^ d, FNV_PRIME);
            i++;
            d = i + 1 < n ? u[i + 1]! : 0;
          }
          digits.push(ds, i + 1);
        }
        if (++i >= n) break;
        c = u[i]!;
      } while (isTokenChar(c));
      const e = i;
      const key = (h ^ (h >>> 20)) & (FILTER_SIZE - 1);
      if (tfilter !== undefined && inFilter(tfilter, key)) {
        const fams = tix!.lookup(lower, s, e, h);
        if (fams) {
          for (let k = 0; k < fams.length; k++) {
            const list = triggers![fams[k]!];
            if (list) list.push(s);
            else triggers![fams[k]!] = [s];
          }
        }
      }
      let node = inFilter(filter, key) ? this.child(0, lower, s, e, h) : 0;
      if (node === 0) {
        this.morphology(text, lower, s, e, hits);
        continue;
      }
      let best: TermInfo | undefined;
      let bestEnd = e;
      let p = e;
      while (node !== 0) {
        const info = this.infos[node];
        if (info) {
          best = info;
          bestEnd = p;
        }
        // following token
        let q = p;
        while (q < n && !isTokenChar(u[q]!)) {
          if (q - p > 3) break; // a term may wrap onto the next line, not across punctuation runs
          q++;
        }
        if (q >= n || !isTokenChar(u[q]!)) break;
        const ts = q;
        let th = FNV_OFFSET;
        for (; q < n; q++) {
          const tc = u[q]!;
          if (!isTokenChar(tc)) break;
          th = Math.imul(th ^ tc, FNV_PRIME);
        }
        node = this.child(node, lower, ts, q, th);
        p = q;
      }
      if (!best) {
        // the first word of a listed phrase, alone ("hidradenitis" of "hidradenitis suppurativa")
        this.morphology(text, lower, s, e, hits);
        continue;
      }
      if (best.upper && !upperOk(text, s, bestEnd)) continue;
      if (best.exact && !lower.startsWith(best.term, s)) continue;
      if (best.category === HEAD || best.category === SALT) {
        contextHit(text, lower, s, bestEnd, best, hits);
        i = bestEnd;
        continue;
      }
      hits.push({ info: best, start: s, end: bestEnd });
      // the main loop resumes after the term: record the digits of its later words here
      if (digits !== undefined) {
        for (let q = e; q < bestEnd; q++) {
          const d = u[q]!;
          if (d < 48 || d > 57) continue;
          const ds = q;
          while (q + 1 < bestEnd && u[q + 1]! >= 48 && u[q + 1]! <= 57) q++;
          digits.push(ds, q + 1);
        }
      }
      i = bestEnd;
    }
    return hits;
  }
}

// ---------------------------------------------------------------- morphology fallback
// Words outside the lists still look medical: drug-name stems (USAN/INN: -pril, -sartan, -mab,
// -vir ...) and clinical suffixes (-itis, -ectomy, -emia ...). A token of 6+ letters ending in one
// of these (and not a listed everyday word) counts as a weaker medication/diagnosis/procedure hit,
// so unseen generic drugs and conditions still link to an identified patient.
const MORPH_MIN_LEN = 6;
const MORPH_SUFFIXES: Array<[string, string]> = [
  ...'pril sartan olol alol ilol statin dipine prazole tidine mab nib tinib ciclib vir cillin mycin floxacin oxacin cycline conazole azole gliptin gliflozin glutide tide parin xaban gatran semide thiazide oxetine triptan tropium terol sone olone lukast setron azepam azolam zolam apine idone afil osin tadine profen platin rubicin tecan taxel dronate barbital caine trexate lamide formin glinide zosin dralazine gepant orexant benazine capone ciguat renone parib zomib pitant vaptan fungin penem triptyline pramine pentin gabalin relin nacin faxine piprazole peridone olimus sporin fenac oxicam coxib trozole lutamide grel fibrate poetin grastim plase'
    .split(' ')
    .map((x): [string, string] => [x, 'medication']),
  ...'itis osis emia oma pathy plegia paresis penia cytosis uria algia trophy rrhea rrhage ectasis malacia megaly sclerosis stenosis kinesia tonia plasia ectasia iasis oderma philia'
    .split(' ')
    .map((x): [string, string] => [x, 'diagnosis']),
  // more USAN/INN stems: antiepileptics (-racetam, -ampanel, -bamate, -azepine, -toin, -suximide),
  // immunomodulators (-imod, -flunomide), haematology (-trombopag, -dustat, -fiban), anti-infectives
  // (-zolid, -micin, -bactam, -oquine, -vudine, -idine: clonidine, dalfampridine), oncology (-lisib, -trexed, -tabine, -poside,
  // -mustine), GI and renal (-opride, -velamer, -sevelam), CNS (-dopa, -pidem, -melteon, -stigmine,
  // -epezil, -mantine, -giline, -pexole, -gotine, -zodone, -promazine, -phenidate, -peridol,
  // -spirone, -milnacipran), cardiovascular (-grelide, -tiazem, -pamil, -darone, -sentan,
  // -glitazone), others (-caftor, -fenacin, -terodine, -steride, -sonide, -inoin, -prost, -kinra).
  // None ends an everyday English word of 6+ letters (checked against english.ts, SCOWL <= 50).
  ...('racetam ampanel bamate azepine toin suximide imod flunomide trombopag dustat fiban zolid micin bactam oquine vudine lisib trexed tabine poside mustine ' +
    'opride idine velamer sevelam dopa pidem melteon stigmine epezil mantine giline pexole gotine zodone promazine phenidate peridol spirone milnacipran ' +
    'grelide tiazem pamil darone sentan glitazone caftor fenacin terodine steride sonide inoin prost kinra')
    .split(' ')
    .map((x): [string, string] => [x, 'medication']),
  ...'listhesis aneurysm ataxia'.split(' ').map((x): [string, string] => [x, 'diagnosis']),
  // enzyme names (elastase, lipase, kinase, transferase, dehydrogenase) are lab analytes
  ...'lase tase nase dase pase ferase'.split(' ').map((x): [string, string] => [x, 'test']),
  ...'ectomy otomy ostomy plasty scopy pexy rrhaphy centesis graphy'.split(' ').map((x): [string, string] => [x, 'procedure']),
];
/** Stems that end a few everyday words too: a word counts only if it is not common English. */
const MORPH_CHECKED: Array<[string, string]> = [
  ['cept', 'medication'], // etanercept, abatacept (not concept, intercept)
  ['mannan', 'test'],
  ['amine', 'medication'], // fenfluramine, midodrine-like amines (not examine, famine)
];
/** Organ adjectives before deficiency/insufficiency: "adrenal insufficiency", "exocrine pancreatic insufficiency". */
const ORGAN_ADJ = new Set(
  ('pancreatic adrenal renal hepatic cardiac venous arterial aortic mitral tricuspid pulmonary pulmonic valvular respiratory placental ' +
    'ovarian testicular pituitary thyroid parathyroid gonadal exocrine endocrine immune vertebrobasilar velopharyngeal cervical ' +
    'lactase vitamin iron folate zinc copper magnesium growth hormone factor enzyme').split(' '),
);
/** Everyday words with those endings. */
const MORPH_STOP = new Set(
  ('sympathy empathy apathy telepathy homeopathy diploma aroma stigma program diagram telegram kilogram nostalgia ' +
    'photography geography biography bibliography choreography calligraphy demography pornography typography cartography ' +
    'cosmos hypnosis symbiosis ' +
    'afternoon outside inside beside reside preside subside provide decide divide override tide aside guide ' +
    'bromide peptide nucleotide riptide eventide yuletide ' +
    'whom mom saxophone microphone telephone cortisone person reason season poison prison treason ' +
    'accurate mandate update template ' +
    'cabin robin napkin pumpkin muffin coffin dolphin ' +
    'david saviour anemone').split(' '),
);
const morphCache = new Map<string, TermInfo | null>();

/** Bits over tailKey() of the suffixes (4 KB, read for every long word). */
const suffixTails = new Uint32Array((1 << 15) >>> 5);
/**
 * For a tail that passes: bits over the letter before it (& 31) that some suffix allows, so common
 * words sharing a suffix's last three letters ("please" / -lase, "doctor" / -caftor, "someone" /
 * -melteon) are rejected before the word is sliced. A three-letter suffix allows every letter.
 */
const suffixFourth = new Int32Array(1 << 15);
for (const [suf] of [...MORPH_SUFFIXES, ...MORPH_CHECKED]) {
  const k = tailKey(suf, suf.length);
  suffixTails[k >>> 5]! |= 1 << (k & 31);
  suffixFourth[k]! |= suf.length === 3 ? -1 : 1 << (suf.charCodeAt(suf.length - 4) & 31);
}

/** Key of a word's last three letters, to reject most words before slicing them. */
function tailKey(s: string, end: number): number {
  return ((s.charCodeAt(end - 3) & 31) << 10) | ((s.charCodeAt(end - 2) & 31) << 5) | (s.charCodeAt(end - 1) & 31);
}

function morphologyHit(lower: string, s: number, e: number): TermInfo | undefined {
  const k = tailKey(lower, e);
  if ((suffixTails[k >>> 5]! & (1 << (k & 31))) === 0) return undefined;
  if ((suffixFourth[k]! & (1 << (lower.charCodeAt(e - 4) & 31))) === 0) return undefined;
  const w = lower.slice(s, e);
  const cached = morphCache.get(w);
  if (cached !== undefined) return cached ?? undefined;
  let info: TermInfo | null = null;
  if (!MORPH_STOP.has(w) && /^[a-z]+$/.test(w)) {
    for (const [suf, category] of MORPH_SUFFIXES) {
      if (w.length >= suf.length + 3 && w.endsWith(suf)) {
        info = { term: w, category, weight: 1.5, upper: false, label: `'${w}'` };
        break;
      }
    }
    if (!info) {
      for (const [suf, category] of MORPH_CHECKED) {
        if (w.length >= suf.length + 3 && w.endsWith(suf) && !isCommonEnglish(w)) {
          info = { term: w, category, weight: 1.5, upper: false, label: `'${w}'` };
          break;
        }
      }
    }
  }
  if (morphCache.size < 100_000) morphCache.set(w, info);
  return info ?? undefined;
}

// ---------------------------------------------------------------- head nouns and salt words
// "Marfan syndrome", "Gaucher disease", "alpha-1 antitrypsin deficiency", "lanthanum carbonate":
// a diagnosis or a drug the lists do not name is often an unknown word followed by a word that
// says what it is. Those words are trie terms of category HEAD / SALT; match() calls contextHit,
// which keeps them only after a word that fits (a listed or guessed health term, an eponym, a rare
// word, an abbreviation), so "the disease", "this syndrome" or "a deficiency in the audit" do not
// count on their own.
const HEAD = 'head';
const SALT = 'salt';
/** Heads after an eponym or rare word: "Kawasaki disease", "Tourette syndrome", "Raynaud phenomenon". */
const NAMED_HEADS = new Set(['disease', 'syndrome', 'disorder', 'malformation', 'anomaly', 'phenomenon']);
const CONTEXT_TERMS: LexiconTerm[] = [
  ...[...NAMED_HEADS].map((term) => ({ term, category: HEAD, weight: 2 })),
  ...'deficiency insufficiency'.split(' ').map((term) => ({ term, category: HEAD, weight: 2 })),
  ...('carbonate bicarbonate citrate sulfate sulphate chloride hydrochloride hydrobromide acetate phosphate tartrate succinate ' +
    'mesylate besylate fumarate maleate gluconate bromide iodide lactate hyclate monohydrate dihydrate')
    .split(' ')
    .map((term) => ({ term, category: SALT, weight: 2 })),
];
/** After a head, these words make the phrase an organization, not a condition ("Lyme Disease Association"). */
const ORG_AFTER = new Set(['foundation', 'association', 'society', 'institute', 'center', 'centre', 'clinic', 'program', 'programme', 'awareness', 'research', 'network', 'alliance', 'council', 'registry', 'unit', 'team', 'service', 'services', 'control']);


/** The token [s, e) ending at or before `end` with at most `gap` separator characters between; undefined if none. */
function tokenBefore(lower: string, end: number, gap: number): [number, number] | undefined {
  let e = end;
  while (e > 0 && end - e < gap && !isTokenChar(lower.charCodeAt(e - 1))) e--;
  if (e === 0 || !isTokenChar(lower.charCodeAt(e - 1))) return undefined;
  let s = e;
  while (s > 0 && isTokenChar(lower.charCodeAt(s - 1))) s--;
  return [s, e];
}

function contextHit(text: string, lower: string, s: number, e: number, info: TermInfo, hits: TermHit[]): void {
  let prev = tokenBefore(lower, s, 2);
  if (!prev) return;
  const direct = prev[1];
  // "Addison's disease": step over the possessive s
  if (prev[1] - prev[0] === 1 && lower.charCodeAt(prev[0]) === 115 && prev[0] > 0 && (lower.charCodeAt(prev[0] - 1) === 39 || lower.charCodeAt(prev[0] - 1) === 0x2019)) {
    prev = tokenBefore(lower, prev[0] - 1, 1);
    if (!prev) return;
  }
  const head = info.term;
  const salt = info.category === SALT;
  const category = salt ? 'medication' : 'diagnosis';
  const out = (start: number) => hits.push({ info: { term: head, category, weight: 2, upper: false, label: `'${salt ? 'drug salt' : head}'` }, start, end: e });
  // after a health term: "kidney disease", "iron deficiency", "calcium carbonate", "ozanimod hydrochloride"
  const last = hits[hits.length - 1];
  if (last && (last.end === prev[1] || last.end === direct)) {
    const c = last.info.category;
    if (salt ? c === 'medication' || c === 'test' : c === 'diagnosis' || c === 'test' || c === 'medication' || c === 'procedure') {
      hits.pop();
      out(last.start);
    }
    return;
  }
  if (!salt && NAMED_HEADS.has(head) && text.charCodeAt(s) < 97) {
    // "Lyme Disease Association": a capitalised head before an organization word
    const next = nextToken(lower, e);
    if (next && ORG_AFTER.has(lower.slice(next[0], next[1]))) return;
  }
  const word = lower.slice(prev[0], prev[1]);
  const c0 = text.charCodeAt(prev[0]);
  const capital = c0 >= 65 && c0 <= 90;
  let start = prev[0];
  let rare = /^[a-z\u00c0-\u024f]+$/.test(word) && word.length >= 4 && !isCommonEnglish(word);
  if (salt) {
    if (rare && word.length >= 5) out(start);
    return;
  }
  if (NAMED_HEADS.has(head)) {
    // an eponym, possibly hyphenated ("Charcot-Marie-Tooth", "Wolff-Parkinson-White")
    let p = prev;
    while (capital && p[0] > 1 && lower.charCodeAt(p[0] - 1) === 45) {
      const q = tokenBefore(lower, p[0] - 1, 1);
      const qc = q ? text.charCodeAt(q[0]) : 0;
      if (!q || !(qc >= 65 && qc <= 90)) break;
      p = q;
      start = q[0];
      const w = lower.slice(q[0], q[1]);
      if (w.length >= 4 && !isCommonEnglish(w)) rare = true;
    }
    if (rare) out(start);
    return;
  }
  // deficiency / insufficiency: after a rare word, an abbreviation ("G6PD", "IgA", "AAT") or a number ("factor 8")
  let caps = 0;
  let digit = false;
  for (let k = prev[0]; k < prev[1]; k++) {
    const ch = text.charCodeAt(k);
    if (ch >= 65 && ch <= 90) caps++;
    else if (ch >= 48 && ch <= 57) digit = true;
  }
  if (rare || caps >= 2 || digit || ORGAN_ADJ.has(word)) out(start);
}

function nextToken(lower: string, from: number): [number, number] | undefined {
  let s = from;
  while (s < lower.length && s - from < 2 && !isTokenChar(lower.charCodeAt(s))) s++;
  if (s >= lower.length || !isTokenChar(lower.charCodeAt(s))) return undefined;
  let e = s;
  while (e < lower.length && isTokenChar(lower.charCodeAt(e))) e++;
  return [s, e];
}

/** 1 for the characters tokens are made of (a-z, 0-9, Latin-1 and Latin Extended-A/B letters). */
const TOKEN_CHARS = new Uint8Array(0x250);
for (let c = 0; c < 0x250; c++) {
  TOKEN_CHARS[c] = (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || (c >= 0xc0 && c !== 0xd7 && c !== 0xf7) ? 1 : 0;
}

function isTokenChar(c: number): boolean {
  return c < 0x250 && TOKEN_CHARS[c] === 1;
}


let bundled: Lexicon | undefined;

/** The bundled lexicon, built once per process. */
export function bundledLexicon(): Lexicon {
  return (bundled ??= new Lexicon(loadBundledTerms()));
}
