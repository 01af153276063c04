// REST writes, memoized by their store calls (memo.ts). A write step (an in-flight action, a
// binding, a kubelet's pod sync, the scope's change) is run once through the real REST layer with
// every store call and uid draw recorded: which row it read and what it held (its content id and
// the rank of its revision), which head a write followed, which rows a listing returned. A write's
// effect (the value it committed, a deletion, a refusal) rides on the edge of the store call that
// made it, so a walk replays the writes over its own copy of the rows and ends with the next state.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../model/object.js';
import { compareKeys } from '../store/keys.js';
import type { Action } from '../controllers/runtime.js';
import type { ActionTable } from './actions.js';
import type { ClusterModelState, MemoStats } from './cluster-model.js';
import type { Row, RowTable } from './rows.js';
import type { Scope } from './scopes.js';
import type { StateApi, StateLog, StoreTap } from './state-api.js';
import { insert, RevCoder, type Answer, type Read, type TrieNode } from './memo.js';
import { PairMap } from './tuples.js';

/**
 * A write step's request, before anything is read: it names the root of its trie. A model that
 * keeps its requests (one per in-flight list, binding, kubelet's work) hands them in again: their
 * root and revisions are worked out once, kept on them (undefined until then).
 */
export type WriteRequest = (
  | { t: 'act'; action: Action }
  | { t: 'bind'; ns: string; name: string; node: string }
  | { t: 'kubelet'; kid: number; deleting: boolean }
  | { t: 'env' }
) & {
  root: WriteRoot | undefined;
  revs: number[] | undefined;
  /** Its number among the model's requests (-1: none yet): what the model keeps the step's outcomes by (cluster-model.ts). */
  id: number;
};

type WriteRoot = TrieNode<WriteQuery, WriteEffect, { ok: boolean }>;

/**
 * The reads of a write: the request's own revisions, each store call (a write reads the row it
 * replaces and the head its revision follows), and each draw from the uid counter.
 */
type WriteQuery =
  | { id: string; t: 'req'; i: number }
  | { id: string; t: 'row' | 'write'; kid: number }
  | { id: string; t: 'prefix'; prefix: string }
  | { id: string; t: 'head' | 'uid' | 'compacted' };

/** What one store write did: the value it wrote, a deletion, or nothing (refused). */
type WriteEffect = { deleted: boolean; cid: number } | null;

export interface WriteResult {
  ok: boolean;
  rows: readonly Row[];
  head: number;
  uid: number;
}

/** The state as a write's reads see it. */
interface WriteReader {
  row(kid: number): Row | undefined;
  under(prefix: string): Row[];
  head(): number;
  uid(): number;
  req: number[];
}

/** A request that names no revision (shared, never written). */
const NO_REVISIONS: number[] = Object.freeze([]) as unknown as number[];

/**
 * A walk's copy of the rows, changed by the writes it replays (a Map's order: a write keeps a key's
 * place). One is reused walk after walk (reset): a walk runs for every write step of every state.
 */
class WalkRows implements WriteReader {
  private own = false;
  rows: readonly Row[] = [];
  private rev = 0;
  uids = 0;
  req: number[] = NO_REVISIONS;

  reset(rows: readonly Row[], rev: number, uids: number, req: number[]): this {
    this.own = false;
    this.rows = rows;
    this.rev = rev;
    this.uids = uids;
    this.req = req;
    return this;
  }

  row(kid: number): Row | undefined {
    for (let i = 0; i < this.rows.length; i++) if (this.rows[i]!.kid === kid) return this.rows[i];
    return undefined;
  }
  under(prefix: string): Row[] {
    const out: Row[] = [];
    for (let i = 0; i < this.rows.length; i++) if (this.rows[i]!.key.startsWith(prefix)) out.push(this.rows[i]!);
    return out.sort(byKey);
  }
  head(): number {
    return this.rev;
  }
  uid(): number {
    return this.uids;
  }
  write(kid: number, e: { deleted: boolean; cid: number }, intern: (kid: number, cid: number, rev: number, prev: number) => Row): void {
    const rows = this.own ? (this.rows as Row[]) : [...this.rows];
    this.own = true;
    let i = 0;
    while (i < rows.length && rows[i]!.kid !== kid) i++;
    if (i === rows.length) i = -1;
    const prev = i >= 0 ? rows[i]!.revision : 0;
    this.rev++;
    if (e.deleted) {
      if (i >= 0) rows.splice(i, 1);
    } else {
      const r = intern(kid, e.cid, this.rev, prev);
      if (i >= 0) rows[i] = r;
      else rows.push(r);
    }
    this.rows = rows;
  }
}

const byKey = (a: Row, b: Row): number => compareKeys(a.key, b.key);

/** A listing's answer: each row it returned (content, revision by order type), and the head. */
function prefixAnswer(rows: readonly Row[], head: number, coder: RevCoder): string {
  let out = '';
  for (let i = 0; i < rows.length; i++) out += `${i ? ',' : ''}${rows[i]!.rc}.${coder.code(rows[i]!.revision)}`;
  return `${out};${coder.code(head)}`;
}

const small = (code: number): number => {
  if (code >= 4096) throw new Error('cluster model: too many revisions in one step to memoize');
  return code;
};

const sameEffect = (a: WriteEffect | undefined, b: WriteEffect | undefined): boolean =>
  a === b || (!!a && !!b && a.deleted === b.deleted && a.cid === b.cid);

export class WriteMemo {
  constructor(
    private readonly table: RowTable,
    private readonly actions: ActionTable,
    private readonly api: StateApi,
    private readonly change: Scope['change'],
    private readonly stats: MemoStats,
  ) {}

  private readonly writeRoots = new Map<number | string, TrieNode<WriteQuery, WriteEffect, { ok: boolean }>>();
  private readonly writeQueries = new Map<string, WriteQuery>();
  /** The write being recorded: its reads so far, its revision coder, its store. */
  private recording?: { reads: Read<WriteQuery, WriteEffect>[]; coder: RevCoder; log: StateLog; req: number[] };

  private readonly actRoots = new Map<number, TrieNode<WriteQuery, WriteEffect, { ok: boolean }>>();
  private readonly kubeletRoots = new Map<number, TrieNode<WriteQuery, WriteEffect, { ok: boolean }>>();

  /** The trie of a request: by the action's template, the pod and what its kubelet does, the binding, or the change. */
  private writeRoot(req: WriteRequest): WriteRoot {
    return (req.root ??= this.findRoot(req));
  }

  private findRoot(req: WriteRequest): WriteRoot {
    // (No [map, key] pair: an array made on every walk.)
    let m: Map<number | string, TrieNode<WriteQuery, WriteEffect, { ok: boolean }>>;
    let k: number | string;
    if (req.t === 'act') {
      m = this.actRoots;
      k = this.actions.info(req.action).tpl;
    } else if (req.t === 'kubelet') {
      m = this.kubeletRoots;
      k = 2 * req.kid + (req.deleting ? 1 : 0);
    } else {
      m = this.writeRoots;
      k = req.t === 'bind' ? `b${req.ns}/${req.name}>${req.node}` : 'e';
    }
    let n = m.get(k);
    if (!n) m.set(k, (n = {}));
    return n;
  }

  private writeQuery(t: WriteQuery['t'], arg: string | number = ''): WriteQuery {
    const id = `${t}|${arg}`;
    let q = this.writeQueries.get(id);
    if (!q) {
      if (t === 'row' || t === 'write') q = { id, t, kid: this.table.kidOf(arg as string) };
      else if (t === 'prefix') q = { id, t, prefix: arg as string };
      else if (t === 'req') q = { id, t, i: arg as number };
      else q = { id, t };
      this.writeQueries.set(id, q);
    }
    return q;
  }

  private requestRevisions(req: WriteRequest): number[] {
    return (req.revs ??= this.revisionsOf(req));
  }

  private revisionsOf(req: WriteRequest): number[] {
    if (req.t !== 'act') return NO_REVISIONS;
    const { nums } = this.actions.info(req.action);
    for (let i = 0; i < nums.length; i++) if (Number.isNaN(nums[i])) throw new Error('cluster model: an action names a resourceVersion that is no revision');
    return nums;
  }

  private rowAnswer(r: Row | undefined, coder: RevCoder): number {
    return r ? r.rc * 4096 + small(coder.code(r.revision)) + 1 : 0;
  }

  /** The answer a read gets from a state; revisions by order type (the coder's sequence is the read order). */
  private answerWrite(q: WriteQuery, rd: WriteReader, coder: RevCoder): Answer {
    switch (q.t) {
      case 'req':
        return coder.code(rd.req[q.i]!);
      case 'row':
        return this.rowAnswer(rd.row(q.kid), coder);
      case 'write': {
        // The pair interned: as r * 4096 + code it would pass 2^31 (a heap number made per read).
        const r = this.rowAnswer(rd.row(q.kid), coder);
        const h = small(coder.code(rd.head()));
        let a = this.writeAnswers.get(r, h);
        if (a < 0) this.writeAnswers.set(r, h, (a = this.writeAnswers.size));
        return a;
      }
      case 'prefix':
        return prefixAnswer(rd.under(q.prefix), rd.head(), coder);
      case 'head':
        return coder.code(rd.head());
      case 'uid':
        return rd.uid();
      case 'compacted':
        return 0;
    }
  }

  /** A write read's answers (the row it replaces, the head it follows), interned. */
  private readonly writeAnswers = new PairMap();

  /** The coder of walks (a walk runs to its end before the next starts). */
  private readonly writeCoder = new RevCoder();

  /** The walker and the result of walks (each reused: a walk's result is read before the next walk). */
  private readonly walker = new WalkRows();
  private readonly result: WriteResult = { ok: false, rows: NO_REVISIONS as unknown as Row[], head: 0, uid: 0 };

  /**
   * The write replayed from its trie over s, or undefined where the trie has not seen these
   * answers. The result is one object reused by every walk: read it before walking again.
   */
  walk(s: ClusterModelState, req: WriteRequest): WriteResult | undefined {
    let node = this.writeRoot(req);
    const coder = this.writeCoder.reset();
    const rd = this.walker.reset(s.rows, s.head, s.uid, this.requestRevisions(req));
    for (;;) {
      if (node.leaf) {
        const w = this.result;
        w.ok = node.leaf.value.ok;
        w.rows = rd.rows;
        w.head = rd.head();
        w.uid = rd.uid();
        return w;
      }
      const q = node.q;
      if (!q) return undefined;
      const next = node.kids!.get(this.answerWrite(q, rd, coder));
      if (!next) return undefined;
      if (q.t === 'uid') rd.uids++;
      else if (q.t === 'write' && next.effect) rd.write(q.kid, next.effect, this.table.intern);
      node = next;
    }
  }

  private readonly drawUid = (kind: 'uid' | 'suffix'): void => {
    const rec = this.recording;
    if (rec) rec.reads.push({ q: this.writeQuery('uid', kind), a: this.api.uid });
  };

  /** Told of each store call of the write being recorded: notes the read, and for a write what it committed. */
  private readonly tap: StoreTap = (kind, key) => {
    const rec = this.recording;
    if (!rec) return undefined;
    const log = rec.log;
    const rd: WriteReader = {
      row: (kid) => {
        const r = log.rows.get(this.table.key(kid));
        return r && this.table.internLogRow(r);
      },
      under: (prefix) => [...log.rows.values()].filter((r) => r.key.startsWith(prefix)).sort((a, b) => compareKeys(a.key, b.key)).map((r) => this.table.internLogRow(r)),
      head: () => log.head(),
      uid: () => this.api.uid,
      req: rec.req,
    };
    const q = this.writeQuery(kind, key);
    const read: Read<WriteQuery, WriteEffect> = { q, a: this.answerWrite(q, rd, rec.coder) };
    rec.reads.push(read);
    if (q.t !== 'write') return undefined;
    const before = log.committed.length;
    const head = log.head();
    const prev = rd.row(q.kid)?.revision ?? 0;
    return () => {
      const rows = log.committed.slice(before);
      const r = rows[0];
      if (rows.length > 1 || (r && (r.key !== key || r.revision !== head + 1 || r.prevRevision !== prev))) {
        throw new Error(`cluster model: a store write to ${key} did not commit one row after head ${head}`);
      }
      read.effect = r ? { deleted: r.deleted, cid: r.deleted ? -1 : this.table.cidOf(r.value) } : null;
    };
  };

  /** Runs a write for real with its reads recorded, stores it, and checks that the trie now gives it back. */
  async record(s: ClusterModelState, req: WriteRequest): Promise<void> {
    this.stats.writeRuns++;
    const log = this.api.load(s);
    const rec = { reads: [] as Read<WriteQuery, WriteEffect>[], coder: new RevCoder(), log, req: this.requestRevisions(req) };
    rec.req.forEach((v, i) => rec.reads.push({ q: this.writeQuery('req', i), a: rec.coder.code(v) }));
    this.recording = rec;
    this.api.store.tap = this.tap;
    this.api.onDraw = this.drawUid;
    let ok = true;
    let error: unknown;
    try {
      switch (req.t) {
        case 'act':
          await this.api.apply(req.action);
          break;
        case 'bind':
          await this.api.bind(req.ns, req.name, req.node);
          break;
        case 'kubelet': {
          const row = s.rows.find((r) => r.kid === req.kid)!;
          // The request is made of the pod as it is: reading it is the write's first read.
          this.tap('row', row.key);
          await this.api.kubelet(this.table.rowObject(row) as KubeObject & Pod);
          break;
        }
        case 'env':
          await this.change!.apply(this.api.client);
      }
    } catch (e) {
      ok = false;
      error = e;
    } finally {
      this.recording = undefined;
      this.api.store.tap = undefined;
      this.api.onDraw = undefined;
    }
    if (this.api.uid !== s.uid + rec.reads.filter((r) => r.q.t === 'uid').length) throw new Error('cluster model: the uid counter moved without a recorded draw');
    const run: WriteResult = { ok, rows: this.table.rowsOf(log), head: log.head(), uid: this.api.uid };
    insert(this.writeRoot(req), rec.reads, { ok }, sameEffect);
    const w = this.walk(s, req);
    if (!w || w.ok !== run.ok || w.head !== run.head || w.uid !== run.uid || w.rows.length !== run.rows.length || w.rows.some((r, i) => r !== run.rows[i])) {
      throw new Error(`cluster model: the memo of a write (${req.t}) does not give back the run it recorded`);
    }
    if (!ok && req.t === 'env') throw error;
  }
}
