/*
 * The dual-write protocol of libs/dual-write/PROTOCOL.md, as a Promela model checked by spin.
 *
 * Bounds: 2 keys, 3 ops (OPi_KIND / OPi_KEY below), 2 api processes, 1 worker, MAXF store-call faults,
 * one process crash, RETRIES client retries with the same opId, FLIPS flag flips (2->3, 3->2).
 * Checked: I1, I2, I5 when the system is quiescent (traffic stopped, every call settled); I3 in every
 * state; I4 at every answer a retry gets. See README.md for what is modelled and what is abstracted.
 *
 * Mechanism switches (each, defined, removes one mechanism; spin must then find a counterexample):
 *   NO_SYNC_LOCK     (a) the sync reads the primary and writes the secondary without the per-key lock
 *   PAYLOAD_SYNC     (a) the sync writes the op's payload instead of the primary's current row
 *   NO_TOMB_PROOF    (b) a missing row on the primary deletes on the secondary without the ledger's proof
 *   NO_TOMB_DELETE   (b) a missing row on the primary never deletes on the secondary (delete not propagated)
 *   NO_FENCE_CLAIM   (c) the claim does not check the flag version / fenced
 *   NO_FENCE_WAIT    (c) the flip does not wait for confirmations and old-version ops (barrier skipped)
 *   UNCOND_LEDGER    (d) every ledger update is unconditional (no `and status = <expected>`)
 * Literal-text switches (where PROTOCOL.md as written is not enough; see README "Gaps"):
 *   NO_COPY_GATE       B may become primary before the initial copy has finished
 *   CRASH_FREES_LOCK   a crash frees the advisory lock at once (PostgreSQL ends the session) although the
 *                      crashed process's secondary call may still land
 *   LATE_LANDING       the sweep / the sync of a primary_unavailable op do not wait for the op's timed-out
 *                      primary call to settle
 *   TOMB_LITERAL       delete proof = "the newest op on the key (claim order) whose primary write succeeded
 *                      is a delete"
 *   DELETE_RETRY_404   a re-run delete that finds no row is refused (404) like a first attempt
 *   REPLAY_UNCLAIMED   the replay job runs the sync without claiming the op in the ledger first
 *   REPLAY_NOT_AWAITED the flip does not wait for a primary_unavailable op whose replay is under way
 *   REPLAY_DURING_FENCE a primary_unavailable op is replayed while the flags are fenced
 *   RETRY_WHILE_IN_FLIGHT a retry re-runs a primary_unavailable op while its earlier call may still land
 *   ORPHAN_NO_PROOF    only a delete proves a deletion: the row an op of unknown outcome left on the old
 *                      primary after a flip is never deleted
 */

/* ---------------------------------------------------------------- bounds and scenario */
#ifndef MAXF
#define MAXF 1          /* store calls that may time out / fail (each may still land later) */
#endif
#ifndef FLIPS
#define FLIPS 2         /* flips the operator may attempt: 2->3, then 3->2 */
#endif
#ifndef RETRIES
#define RETRIES 1       /* client retries (same opId) */
#endif
#ifndef CRASHES
#define CRASHES 1       /* api processes that may stop (0 or 1) */
#endif

#define CRE 1
#define UPD 2
#define DEL 3

/* default scenario: update k0 and delete k0 (concurrent on one key), create k1 */
#ifndef OP0_KIND
#define OP0_KIND UPD
#define OP0_KEY 0
#endif
#ifndef OP1_KIND
#define OP1_KIND DEL
#define OP1_KEY 0
#endif
#ifndef OP2_KIND
#define OP2_KIND CRE
#define OP2_KEY 1
#endif

#define NK 2            /* keys */
#define NO 3            /* ops */
#define NP 2            /* api processes; index NP is the worker */
#define WK 2
#define MAXS 8          /* stamps per key */
#define MAXV 8          /* flag versions */

#define KIND(o) ((o) == 0 -> OP0_KIND : ((o) == 1 -> OP1_KIND : OP2_KIND))
#define KEY(o)  ((o) == 0 -> OP0_KEY  : ((o) == 1 -> OP1_KEY  : OP2_KEY))

/* ---------------------------------------------------------------- stores */
#define SA 0
#define SB 1
/* Each cell: content (0 = never a row, 1..3 = written by op o+1, INITC = the row left by phase 1) and a
 * ghost stamp: the per-key order in which primary writes landed. A delete leaves a tombstone content (its op)
 * that reads as absent: only the checks look at it. Syncs copy content and stamp. */
#define INITC 4
byte cont[4];           /* index store*NK + key */
byte stm[4];
byte seq[NK];           /* last stamp handed out per key */
#define C(s, k) cont[(s) * NK + (k)]
#define S(s, k) stm[(s) * NK + (k)]
#define ISDEL(c) ((c) >= 1 && (c) <= 3 && KIND((c) - 1) == DEL)
#define PRES(s, k) (C(s, k) != 0 && !ISDEL(C(s, k)))

/* ---------------------------------------------------------------- ledger */
#define NONE 0
#define PENDING 1
#define PDONE 2         /* primary_done */
#define OWED 3          /* secondary_pending (the first text called it secondary_owed) */
#define UNAVAIL 4       /* primary_unavailable */
#define APPLIED 5
#define ABANDONED 6
#define REJECTED 7
#define SYNCO 8         /* the worker replays a secondary_pending op (README, gap "replay claim") */
#define SYNCU 9         /* the worker replays a primary_unavailable op */
byte st[NO];
byte over[NO];          /* flag version the op was claimed under */
byte oprim[NO];         /* roles: the primary store (the secondary is the other one) */
byte owner[NO];         /* process that claimed it (heartbeat) */
byte claimedOn[NO];     /* the primaries its attempts were claimed with (bit 0: A, bit 1: B) */
#ifdef TOMB_LITERAL
byte cord[NO];          /* claim order (ledger created_at) */
byte claims;
#endif
/* ghosts */
bool acked[NO];         /* the caller was answered success */
byte ackS[NO];          /* stamp of the primary write that was acknowledged */
bool landed[NO];        /* the op's write landed on a primary at least once */

#ifdef UNCOND_LEDGER
#define ST_IS(o, s) true
#else
#define ST_IS(o, s) (st[o] == (s))
#endif
/* every ledger update: `... where op_id = o and status = from` */
/* A conditional update re-checks the status it read, so reading and updating may be one step; with
 * unconditional updates the read and the write are two steps (check-then-act). */
#ifdef UNCOND_LEDGER
#define BEGIN_CAS
#define END_CAS skip
#else
#define BEGIN_CAS atomic {
#define END_CAS }
#endif
/* the worker reads an op's status and acts on it in one step when its action is a conditional update of
 * that status; as PROTOCOL.md reads (REPLAY_UNCLAIMED) or with unconditional updates, they are two steps */
#if defined(UNCOND_LEDGER) || defined(REPLAY_UNCLAIMED)
#define BEGIN_JOB
#define END_JOB skip
#else
#define BEGIN_JOB atomic {
#define END_JOB }
#endif
#define UPD_ST(o, from, to) if :: ST_IS(o, from) -> st[o] = to :: else -> skip fi

/* delete proof: a delete on the key that may have landed on the primary (see README, gap T) */
#define DELOK(o, k) (KEY(o) == (k) && KIND(o) == DEL && st[o] != NONE && st[o] != REJECTED)
#ifdef TOMB_LITERAL
/* the ledger recorded that its primary write succeeded (primary_done, then owed / applied / dead) */
#define SUCC(o) (acked[o] && st[o] != REJECTED)
#define NEWER(a, b) ((a) == (b) || KEY(b) != KEY(a) || !SUCC(b) || cord[b] < cord[a])
#define NEWEST_DEL(o, k) (KEY(o) == (k) && KIND(o) == DEL && SUCC(o) && NEWER(o, 0) && NEWER(o, 1) && NEWER(o, 2))
#define PROOF(k) (NEWEST_DEL(0, k) || NEWEST_DEL(1, k) || NEWEST_DEL(2, k))
#else
#define PROOF(k) (DELOK(0, k) || DELOK(1, k) || DELOK(2, k))
#endif
/* An op of unknown outcome (primary_unavailable, being replayed) planned with the other store as primary may
 * have left its row there after the flip: that row is its orphan, and the replay (which syncs from the primary
 * of the moment) may delete it. PROTOCOL.md has no such proof (gap "orphan proof", ORPHAN_NO_PROOF). */
#ifdef ORPHAN_NO_PROOF
#define ORPHAN(k, p) false
#else
#define ORPHANOP(o, k, p) (KEY(o) == (k) && (st[o] == UNAVAIL || st[o] == SYNCU) && (claimedOn[o] & (1 << (1 - (p)))))
#define ORPHAN(k, p) (ORPHANOP(0, k, p) || ORPHANOP(1, k, p) || ORPHANOP(2, k, p))
#endif
#if defined(NO_TOMB_PROOF)
#define MAY_DELETE(k, p) true
#elif defined(NO_TOMB_DELETE)
#define MAY_DELETE(k, p) false
#else
#define MAY_DELETE(k, p) (PROOF(k) || ORPHAN(k, p))
#endif

/* ---------------------------------------------------------------- flags */
byte fver = 1;
bool ffen = false;
byte fprim = SA;
byte hprim[MAXV];       /* roles of each version (so a cache is just a version number) */
bool hfen[MAXV];
byte cver[NP];          /* each api process's cached flag version */
bool copyDone = false;  /* the initial copy has synced every key */

/* ---------------------------------------------------------------- in-flight store calls */
/* A call is sent, then lands (or is lost) in a separate step of the `net` process, in any order with the
 * other calls. The caller waits for the answer or times out (at most MAXF times in a run); a call that timed
 * out or whose caller stopped may still land later. Fields are cleared when a slot goes idle. */
#define IDLE 0
#define INFL 1
#define OKR 2
#define REF 3
/* primary write of api process i */
byte pst[NP];
bool porph[NP];         /* the caller timed out or stopped: the answer is lost, the write may still land */
byte pop[NP];
byte pstore[NP];
bool prer[NP];          /* a retry's re-run */
byte pstm[NP];          /* stamp of the row it left (answer) */
bool pown[NP];          /* ghost: refused only because of the op's own earlier landing */
#define PFREE(i) pst[i] = IDLE; porph[i] = false; pop[i] = 0; pstore[i] = 0; prer[i] = false; pstm[i] = 0; pown[i] = false
/* secondary write (sync) of process i (api 0, 1; worker 2) */
byte sst[3];
bool sorph[3];
byte sstore[3];
byte skey[3];
byte scont[3];
byte sstm[3];
#define SFREE(i) sst[i] = IDLE; sorph[i] = false; sstore[i] = 0; skey[i] = 0; scont[i] = 0; sstm[i] = 0

byte faults = 0;

/* ---------------------------------------------------------------- per-key sync lock */
/* 0 free; 4+i held by the secondary call of process i, released when that call settles */
byte lk[NK];
#ifdef NO_SYNC_LOCK
#define LOCKFREE(k) true
#define TAKELOCK(k, who) skip
#else
#define LOCKFREE(k) (lk[k] == 0)
#define TAKELOCK(k, who) lk[k] = 4 + (who)
#endif

/* ---------------------------------------------------------------- processes' status */
bool crashed[NP];
bool done[NP];
byte next = 0;          /* next op the clients send */
byte retryLeft = RETRIES;

/* names of the checks (hidden: not part of the state vector, used within one atomic step) */
hidden byte I1_acked_write_on_final_primary;
hidden byte I2_no_orphan_row;
hidden byte I3_applied_op_on_both_stores;
hidden byte I4_retry_success_only_if_written;
hidden byte I4_retry_no_permanent_failure_for_landed_write;
hidden byte I5_stores_equal_when_quiet;
hidden byte ht, hk, hs;

/* I3: `applied` => both stores hold that op's version of its key, or a later one (higher stamp). It can only
 * turn false when a store is written or an op becomes applied: checked right there, in the same step. */
#define HOLDS(s, o) (S(s, KEY(o)) >= ackS[o] || C(s, KEY(o)) == (o) + 1)   /* that op's version or a later one */
#define I3OP(o) (st[o] != APPLIED || (HOLDS(SA, o) && HOLDS(SB, o)))
#define I3COND (I3OP(0) && I3OP(1) && I3OP(2))
#define I3CHECK I3_applied_op_on_both_stores = I3COND; assert(I3_applied_op_on_both_stores)

/*
 * The sync primitive (mechanism 1): under the key's lock, read the key on the primary `p`; present -> upsert
 * that row on the secondary; missing -> delete on the secondary only with the ledger's proof (mechanism 2),
 * else record an error diff and leave both rows. The call carries the lock until it lands or is lost.
 * Taking the lock, reading and sending are one step: the call's landing is a separate step, and a read done
 * earlier is the same as a call that lands later. OK_ACT / UNAV_ACT run in the step that gets the answer
 * (or decides on the error diff).
 */
#ifdef PAYLOAD_SYNC
#define SRC_C(p, k, o) ((o) < NO -> (o) + 1 : C(p, k))
#define SRC_S(p, k, o) ((o) < NO -> ackS[o] : S(p, k))
#define HAS_SRC(p, k, o) ((o) < NO || PRES(p, k) || MAY_DELETE(k, p))
#else
#define SRC_C(p, k, o) C(p, k)
#define SRC_S(p, k, o) S(p, k)
#define HAS_SRC(p, k, o) (PRES(p, k) || MAY_DELETE(k, p))
#endif

#define SYNC_SEND(who, k, p, o, DIFF_ACT) \
  atomic { \
    sst[who] == IDLE && LOCKFREE(k) -> \
    if \
    :: HAS_SRC(p, k, o) -> \
       sstore[who] = 1 - (p); skey[who] = (k); scont[who] = SRC_C(p, k, o); sstm[who] = SRC_S(p, k, o); \
       sst[who] = INFL; TAKELOCK(k, who); sent = true; \
       printf("P%d sync k%d: read %c (row %d present %d, stamp %d), send it to %c\n", who, k, 'A' + (p), SRC_C(p, k, o), PRES(p, k), SRC_S(p, k, o), 'A' + 1 - (p)) \
    :: else -> sent = false; printf("P%d sync k%d: %c lacks it, no delete proof: error diff\n", who, k, 'A' + (p)); \
       DIFF_ACT /* error diff recorded, both rows left */ \
    fi \
  }
#define SYNC_WAIT(who, OK_ACT, UNAV_ACT) \
  if \
  :: sent -> \
     if \
     :: atomic { sst[who] == INFL -> SLAND(who); SFREE(who); sent = false; OK_ACT } \
     :: atomic { faults < MAXF -> faults++; sent = false; printf("P%d sync timed out\n", who); \
          sorph[who] = true; UNAV_ACT } \
     fi \
  :: else -> skip \
  fi
#define SYNC(who, k, p, o, OK_ACT, UNAV_ACT) SYNC_SEND(who, k, p, o, OK_ACT); SYNC_WAIT(who, OK_ACT, UNAV_ACT)

/* ---------------------------------------------------------------- the network: calls land in any order */
#define RELEASE(i) if :: lk[skey[i]] == 4 + (i) -> lk[skey[i]] = 0 :: else -> skip fi

#define SLAND(i) \
  C(sstore[i], skey[i]) = scont[i]; S(sstore[i], skey[i]) = sstm[i]; RELEASE(i); \
  printf("land: P%d's sync write on %c k%d = row %d present %d, stamp %d\n", i, 'A' + sstore[i], skey[i], scont[i], PRES(sstore[i], skey[i]), sstm[i]); \
  I3CHECK
/* the network lands (or loses) the calls nobody waits for any more; a call whose caller waits lands in the
 * step that gives the caller its answer (the same interleavings, fewer states) */
#define LAND_S(i) \
  :: d_step { sst[i] == INFL && sorph[i] -> SLAND(i); SFREE(i) } \
  :: d_step { sst[i] == INFL && sorph[i] -> RELEASE(i); printf("lost: P%d's sync write\n", i); SFREE(i) }

#define WRITE_P(i) \
  seq[hk]++; C(hs, hk) = ht + 1; S(hs, hk) = seq[hk]; landed[ht] = true; pstm[i] = seq[hk]; pst[i] = OKR

#ifdef DELETE_RETRY_404
#define IDEMP_DEL(i) false
#else
#define IDEMP_DEL(i) prer[i]
#endif

#define PLAND(i) \
       ht = pop[i]; hk = KEY(ht); hs = pstore[i]; \
       if \
       :: KIND(ht) == CRE && !PRES(hs, hk) -> WRITE_P(i) \
       :: KIND(ht) == CRE && PRES(hs, hk) && C(hs, hk) == ht + 1 -> pstm[i] = S(hs, hk); pst[i] = OKR \
       :: KIND(ht) == UPD && PRES(hs, hk) -> WRITE_P(i) \
       :: KIND(ht) == DEL && PRES(hs, hk) -> WRITE_P(i) \
       :: KIND(ht) == DEL && !PRES(hs, hk) && IDEMP_DEL(i) -> pstm[i] = S(hs, hk); pst[i] = OKR \
       :: else -> pst[i] = REF; pown[i] = (prer[i] && KIND(ht) == DEL && landed[ht]) \
       fi; \
       if :: pst[i] == OKR -> printf("land: op%d primary write on %c k%d ok, stamp %d (answer lost: %d)\n", ht, 'A' + hs, hk, S(hs, hk), porph[i]) \
          :: else -> printf("land: op%d primary write on %c k%d refused (answer lost: %d)\n", ht, 'A' + hs, hk, porph[i]) fi; \
       ht = 0; hk = 0; hs = 0

#define LAND_P(i) \
  :: d_step { pst[i] == INFL && porph[i] -> PLAND(i); PFREE(i) } \
  :: d_step { pst[i] == INFL && porph[i] -> printf("lost: op%d primary write\n", pop[i]); PFREE(i) }

proctype net() {
end:
  do
  LAND_P(0)
  LAND_P(1)
  LAND_S(0)
  LAND_S(1)
  LAND_S(2)
  od
}

/* every primary call of the op (any attempt, any process) has landed or is lost; a live process knows when
 * its own call settles; for a stopped one, a grace period longer than any call (gap "late landing") */
#ifdef LATE_LANDING
#define PSETTLED(o) true
#else
/* every primary call of the op (any attempt, any process) has landed or is lost */
#define PSETTLED(o) (!(pst[0] == INFL && pop[0] == (o)) && !(pst[1] == INFL && pop[1] == (o)))
#endif

/* ---------------------------------------------------------------- api processes */
#ifdef NO_FENCE_CLAIM
#define FENCE_OK(v) true
#else
#define FENCE_OK(v) ((v) == fver && !ffen)
#endif
/* a re-run waits until the op's earlier primary calls have settled (gap "retry while in flight") */
#ifdef RETRY_WHILE_IN_FLIGHT
#define RERUN_OK(o) true
#else
#define RERUN_OK(o) PSETTLED(o)
#endif
#define KINDC(o) (KIND(o) == CRE -> 'c' : (KIND(o) == UPD -> 'u' : 'd'))

proctype api(byte me) {
  byte o, seen, prim;
  bool rerun, sent;
  { skip;
PICK:
  BEGIN_CAS
  if
  :: atomic { next < NO -> o = next; next++; seen = 0; prim = 0; rerun = false }
  :: atomic { retryLeft > 0 && next > 0 -> retryLeft--; seen = 0; prim = 0; rerun = false;
       if :: o = 0 :: next > 1 -> o = 1 :: next > 2 -> o = 2 fi; printf("api%d: client retries op%d\n", me, o) }
  :: atomic { next == NO -> done[me] = true; o = 0; seen = 0; prim = 0; rerun = false }; goto FIN
  fi;
DECIDE:   /* step 3 / Retries: what the op's record says */
  atomic {
    seen = st[o];
    if
    :: seen == NONE -> rerun = false
    :: (seen == UNAVAIL || seen == ABANDONED) && RERUN_OK(o) -> rerun = true   /* the write runs again */
    :: (seen == UNAVAIL || seen == ABANDONED) && !RERUN_OK(o) -> goto PICK   /* 409: an attempt may still land */
    :: seen == APPLIED || seen == PDONE || seen == OWED ->   /* the first answer: success */
       printf("api%d op%d answered from the record: success\n", me, o);
       I4_retry_success_only_if_written = landed[o]; assert(I4_retry_success_only_if_written); goto PICK
    :: seen == PENDING || seen == SYNCO || seen == SYNCU || seen == REJECTED -> goto PICK   /* 409 / the 4xx */
    fi
  };
  /* steps 2-4 in one step: the cached flags (hold while they say fenced; the cache may be stale: a lost
   * change message, the TTL), the claim (one conditional statement), the primary write sent */
  atomic {
    pst[me] == IDLE && !(ffen && hfen[cver[me]]) ->
    if
    :: cver[me] != fver -> cver[me] = fver
    :: !hfen[cver[me]] -> skip
    fi;
    prim = hprim[cver[me]];
    if
    :: ST_IS(o, seen) && FENCE_OK(cver[me]) ->
       st[o] = PENDING; over[o] = cver[me]; oprim[o] = prim; owner[o] = me; claimedOn[o] = claimedOn[o] | (1 << prim);
#ifdef TOMB_LITERAL
       if :: seen == NONE -> claims++; cord[o] = claims :: else -> skip fi;
#endif
       pst[me] = INFL; pop[me] = o; pstore[me] = prim; prer[me] = rerun;
       printf("api%d claim op%d (%c k%d) under v%d, primary %c, re-run %d\n", me, o, KINDC(o), KEY(o), cver[me], 'A' + prim, rerun)
    :: else -> printf("api%d claim of op%d refused\n", me, o); cver[me] = fver; prim = 0; goto DECIDE
    fi
  }
  END_CAS;
  atomic {   /* the answer and, when the key's lock is free, the sync's read and call: one step */
  if
  :: atomic { pst[me] == INFL && !porph[me] -> PLAND(me);   /* the primary answers */
       if
       :: pst[me] == OKR ->                        /* step 5: primary_done, caller acknowledged */
          if
          :: ST_IS(o, PENDING) -> st[o] = PDONE; acked[o] = true; ackS[o] = pstm[me];
             printf("api%d op%d primary_done, acknowledged\n", me, o)
          :: else -> skip
          fi;
          PFREE(me)
       :: else ->                                  /* refused: rejected, 4xx */
          I4_retry_no_permanent_failure_for_landed_write = !pown[me];
          assert(I4_retry_no_permanent_failure_for_landed_write);
          UPD_ST(o, PENDING, REJECTED); printf("api%d op%d rejected\n", me, o); PFREE(me); goto PICK
       fi }
  :: atomic { faults < MAXF -> faults++;          /* unavailable / no answer in time: 503 */
       porph[me] = true;
       UPD_ST(o, PENDING, UNAVAIL); printf("api%d op%d primary call timed out: primary_unavailable, 503\n", me, o) };
     goto PICK
  fi;
  /* step 6: sync the key to the secondary */
  SYNC_SEND(me, KEY(o), prim, o, UPD_ST(o, PDONE, APPLIED); printf("api%d op%d applied\n", me, o); I3CHECK)
  };
  SYNC_WAIT(me,
       UPD_ST(o, PDONE, APPLIED); printf("api%d op%d applied\n", me, o); I3CHECK,
       UPD_ST(o, PDONE, OWED); printf("api%d op%d secondary_pending\n", me, o));
  goto PICK;
FIN:
  skip
  } unless { crashed[me] }
}

/* ---------------------------------------------------------------- worker: initial copy, replay, sweep */
/* The replay of a primary_unavailable op syncs from the primary of the moment (PROTOCOL.md step 8 and the
 * barrier); it waits while the flags are fenced (gap "replay during fence": PROTOCOL.md does not say so). */
#ifdef REPLAY_DURING_FENCE
#define UNAV_READY true
#else
#define UNAV_READY (!ffen)
#endif
#define JOB(o) (st[o] == OWED || (st[o] == UNAVAIL && PSETTLED(o) && UNAV_READY))
#define DONE_ST(s) ((s) == OWED -> APPLIED : ABANDONED)
#define ROLE(o, s) ((s) == OWED -> oprim[o] : fprim)
/* The job claims the op (conditional update to a replaying status): a retry then gets 409 and the barrier
 * waits for it. REPLAY_UNCLAIMED: as PROTOCOL.md reads, the job just runs the sync for the status it saw. */
#ifdef REPLAY_UNCLAIMED
#define TAKE_JOB(o, s) ok = true
#define JOB_ST(s) (s)
#else
#define TAKE_JOB(o, s) atomic { if :: ST_IS(o, s) -> st[o] = ((s) == OWED -> SYNCO : SYNCU); ok = true :: else -> ok = false fi }
#define JOB_ST(s) ((s) == OWED -> SYNCO : SYNCU)
#endif
#define NOOP 255
#define W_DONE UPD_ST(o, JOB_ST(seen), DONE_ST(seen)); printf("worker op%d -> status %d\n", o, st[o]); I3CHECK; o = 0; seen = 0; jp = 0

/* The sweep (PROTOCOL.md step 8): an op left `pending` by a stopped process becomes primary_unavailable (once
 * its primary call cannot land any more: gap "late landing"), one left `primary_done` becomes secondary_pending */
#define SWEEP(o) \
  :: atomic { st[o] == PENDING && crashed[owner[o]] && PSETTLED(o) -> st[o] = UNAVAIL; printf("sweep: op%d -> primary_unavailable\n", o) } \
  :: atomic { st[o] == PDONE && crashed[owner[o]] -> st[o] = OWED; printf("sweep: op%d -> secondary_pending\n", o) }

proctype worker() {
  byte o, seen, k, jp;
  bool sent, ok;
  /* the initial copy of the rows phase 1 left (k0), same primitive, current roles; again until it answers */
  do
  :: k == 0 -> SYNC(WK, 0, fprim, NOOP, k = 1, skip)
  :: else -> break
  od;
  atomic { copyDone = true; k = 0; printf("initial copy done\n") };
end:
  do
  SWEEP(0)
  SWEEP(1)
  SWEEP(2)
  :: BEGIN_JOB
     if
     :: atomic { JOB(0) -> o = 0; seen = st[0] }
     :: atomic { JOB(1) -> o = 1; seen = st[1] }
     :: atomic { JOB(2) -> o = 2; seen = st[2] }
     fi;
     /* the replay: the job claims the op, then (when the key's lock is free, in the same step) the sync reads
      * and calls: with the op's recorded roles (secondary_pending) or the current ones (primary_unavailable) */
     atomic {
       TAKE_JOB(o, seen);
       if
       :: ok -> jp = ROLE(o, seen);   /* the roles are read once, when the job starts */
          printf("worker takes op%d (status %d) with roles primary %c\n", o, seen, 'A' + jp);
          SYNC_SEND(WK, KEY(o), jp, o, W_DONE)
       :: else -> o = 0; seen = 0
       fi
     }
     END_JOB;
     if
     :: ok -> SYNC_WAIT(WK, W_DONE, skip);
        if
        :: o != 0 || seen != 0 ->   /* not synced: the job ends when its call has settled, and is queued again */
           atomic { sst[WK] == IDLE -> UPD_ST(o, JOB_ST(seen), seen); o = 0; seen = 0; jp = 0; ok = false }
        :: else -> ok = false
        fi
     :: else -> ok = false
     fi
  od
}

/* ---------------------------------------------------------------- operator: fenced flips */
/* (b): no op claimed under an older version is pending, primary_done or secondary_pending (nor being replayed);
 * primary_unavailable ops do not hold the flip (PROTOCOL.md), but one whose replay is under way does (gap
 * "replay awaited"; REPLAY_NOT_AWAITED reads the text literally) */
#ifdef REPLAY_NOT_AWAITED
#define REPLAYING(o) (st[o] == SYNCO)
#else
#define REPLAYING(o) (st[o] == SYNCO || st[o] == SYNCU)
#endif
#define UNSETTLED(o, vf) (over[o] < (vf) && \
                          (st[o] == PENDING || st[o] == PDONE || st[o] == OWED || REPLAYING(o)))
#define CONFIRMED(p, vf) (crashed[p] || done[p] || cver[p] >= (vf))
#ifdef NO_FENCE_WAIT
#define BARRIER(vf) true
#else
#define BARRIER(vf) (CONFIRMED(0, vf) && CONFIRMED(1, vf) && \
                     !UNSETTLED(0, vf) && !UNSETTLED(1, vf) && !UNSETTLED(2, vf))
#endif
#ifdef NO_COPY_GATE
#define GATE true
#else
#define GATE (fprim == SB || copyDone)   /* assumption: B becomes primary only after the initial copy */
#endif

proctype operator() {
  byte n = 0, oldp, vf;
  do
  :: n < FLIPS ->
     atomic { GATE -> n++; oldp = fprim; fver++; fprim = 1 - oldp; ffen = true;   /* (a) fenced */
              hprim[fver] = fprim; hfen[fver] = true; vf = fver; printf("flip: v%d primary %c fenced\n", fver, 'A' + fprim) };
     if
     :: atomic { BARRIER(vf) -> fver++; ffen = false;                   /* (b) held, (d) unfenced */
                 hprim[fver] = fprim; hfen[fver] = false; oldp = 0; vf = 0; printf("flip: v%d primary %c unfenced\n", fver, 'A' + fprim) }
     :: atomic { fver++; fprim = oldp; ffen = false;                     /* (b) not in time: refused */
                 hprim[fver] = fprim; hfen[fver] = false; oldp = 0; vf = 0; printf("flip refused: v%d primary %c\n", fver, 'A' + fprim) }
     fi
  :: break
  od
}

/* ---------------------------------------------------------------- a single process crash */
/* The api processes run the same code on one pool of requests, so a crash of api0 stands for either. */
#define CRASH(p) \
  atomic { !done[p] -> crashed[p] = true; printf("api%d crashes\n", p); \
    if :: pst[p] == INFL -> porph[p] = true :: else -> skip fi; \
    if :: sst[p] == INFL -> sorph[p] = true :: else -> skip fi; \
    CRASH_LOCK(p) }
#ifdef CRASH_FREES_LOCK
/* PostgreSQL ends the crashed session: its advisory lock is free although its call may still land */
#define CRASH_LOCK(p) \
    if :: lk[0] == 4 + (p) -> lk[0] = 0 :: else -> skip fi; \
    if :: lk[1] == 4 + (p) -> lk[1] = 0 :: else -> skip fi
#else
#define CRASH_LOCK(p) skip
#endif

proctype crasher() {
#if CRASHES > 0
end:
  CRASH(0)
#else
  skip
#endif
}

/* ---------------------------------------------------------------- the invariants */
/* I1: every acknowledged write (and the row phase 1 left) is on the store that ends as primary, or a later one */
#define I1OP(o) (!acked[o] || HOLDS(fprim, o))
#define I1COND (I1OP(0) && I1OP(1) && I1OP(2) && S(fprim, 0) >= 1)
/* I2: no row that no primary ever held (its content never landed as a primary write) */
#define ORIGIN(s, k) (!PRES(s, k) || C(s, k) == INITC || landed[C(s, k) - 1])
#define I2COND (ORIGIN(SA, 0) && ORIGIN(SA, 1) && ORIGIN(SB, 0) && ORIGIN(SB, 1))
/* I5: row for row equal */
#define EQ(k) (PRES(SA, k) == PRES(SB, k) && (!PRES(SA, k) || C(SA, k) == C(SB, k)))
#define I5COND (EQ(0) && EQ(1))

proctype monitor() {
end:
  if
  :: atomic { timeout ->   /* traffic stopped, every call settled, nothing left to do */
       I1_acked_write_on_final_primary = I1COND; assert(I1_acked_write_on_final_primary);
       I2_no_orphan_row = I2COND; assert(I2_no_orphan_row);
       I3_applied_op_on_both_stores = I3COND; assert(I3_applied_op_on_both_stores);
       I5_stores_equal_when_quiet = I5COND; assert(I5_stores_equal_when_quiet) }
  fi
}

init {
  atomic {
    /* phase 2 (dual, A primary), version 1; k0 left by phase 1 on A only, k1 on neither */
    hprim[1] = SA; hfen[1] = false; cver[0] = 1; cver[1] = 1;
    C(SA, 0) = INITC; S(SA, 0) = 1; seq[0] = 1;
#ifdef INIT_BOTH
    C(SB, 0) = INITC; S(SB, 0) = 1;
#endif
    run monitor(); run net(); run worker(); run operator(); run crasher(); run api(0); run api(1)
  }
}
