package dev.streamfit.serving.internal;

import dev.streamfit.serving.ModelStatus;
import dev.streamfit.serving.RolloutPolicy;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The versions of one model answering now: the stable one and at most one candidate (a canary answering a share of
 * requests, or a shadow answering copies), routed and judged by {@link Rollout}. Holds one reference on each
 * loaded version; {@link #route} retains what a request needs under the same lock that swaps, so a request never
 * sees a freed model. Thread-safe.
 */
public final class Deployment implements AutoCloseable {
  /** Told of status changes (to show them) and of decisions (to publish them). Called under this lock: be quick. */
  public interface Listener {
    void status(long version, ModelStatus status, String reason);

    void decided(Rollout.Kind kind, long version, long replacement, String reason, VersionStats.Snapshot stats);
  }

  /**
   * What one request uses, each retained: {@code primary} answers; {@code fallback} (the stable version, when the
   * primary is the canary) answers if the canary fails; {@code shadow} gets a copy. Close it to release them.
   */
  public record Route(ModelHandle primary, String arm, ModelHandle fallback, ModelHandle shadow) implements AutoCloseable {
    @Override
    public void close() {
      primary.release();
      if (fallback != null) {
        fallback.release();
      }
    }
  }

  /** Most versions whose stats are kept (the oldest go). */
  static final int STATS_KEPT = 64;

  private final RolloutPolicy policy;
  private final Listener listener;
  private final AtomicLong requestNumber = new AtomicLong();
  private final Map<Long, VersionStats> stats = new LinkedHashMap<>(16, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<Long, VersionStats> e) {
      return size() > STATS_KEPT;
    }
  };
  private ModelHandle stable;
  private ModelHandle candidate;
  private long previousStable = -1;
  private long pinned = -1;
  private VersionStats.Snapshot stableAtCandidateStart;

  public Deployment(RolloutPolicy policy, Listener listener) {
    this.policy = policy;
    this.listener = listener;
  }

  public RolloutPolicy policy() {
    return policy;
  }

  /**
   * A newly verified version. {@code force} (recovery, admin activation, rollback) makes it stable at once;
   * otherwise the policy decides: stable (immediate, or nothing stable yet), canary or shadow; while pinned it is
   * {@code held} and released. Takes over the caller's reference. Returns its status.
   */
  public synchronized ModelStatus offer(ModelHandle h, boolean force) {
    if (!force && pinned >= 0) {
      h.release();
      listener.status(h.version(), ModelStatus.HELD, "serving is pinned to v" + pinned);
      return ModelStatus.HELD;
    }
    if (force || stable == null || policy.mode() == RolloutPolicy.Mode.IMMEDIATE) {
      if (candidate != null && (force || candidate.version() == h.version())) {
        endCandidate(ModelStatus.RETIRED, "v" + h.version() + " was made stable");
      }
      makeStable(h);
      return ModelStatus.ACTIVE;
    }
    if (candidate != null) {
      endCandidate(ModelStatus.RETIRED, "superseded by v" + h.version() + " before it was judged");
    }
    candidate = h;
    stats.put(h.version(), new VersionStats(h.version(), policy.rollbackWindow()));
    stableAtCandidateStart = stats(stable.version()).snapshot(); // the canary is compared over its own period
    ModelStatus status = policy.mode() == RolloutPolicy.Mode.CANARY ? ModelStatus.CANARY : ModelStatus.SHADOW;
    listener.status(h.version(), status, null);
    return status;
  }

  private void makeStable(ModelHandle h) {
    ModelHandle old = stable;
    stable = h;
    stats.putIfAbsent(h.version(), new VersionStats(h.version(), policy.rollbackWindow()));
    listener.status(h.version(), ModelStatus.ACTIVE, null);
    if (old != null && old.version() != h.version()) {
      previousStable = old.version();
      listener.status(old.version(), ModelStatus.RETIRED, null);
    }
    if (old != null) {
      old.release();
    }
  }

  private void endCandidate(ModelStatus status, String reason) {
    ModelHandle c = candidate;
    candidate = null;
    listener.status(c.version(), status, reason);
    c.release();
  }

  /** What the next request uses (null: nothing loaded yet); the caller closes it. */
  public synchronized Route route() {
    if (stable == null) {
      return null;
    }
    if (candidate != null && policy.mode() == RolloutPolicy.Mode.CANARY
        && Rollout.toCanary(requestNumber.getAndIncrement(), policy.canaryShare())) {
      candidate.tryRetain();
      stable.tryRetain();
      return new Route(candidate, "canary", stable, null);
    }
    stable.tryRetain();
    ModelHandle shadow = null;
    if (candidate != null && policy.mode() == RolloutPolicy.Mode.SHADOW) {
      candidate.tryRetain();
      shadow = candidate; // released by whoever runs the copy
    }
    return new Route(stable, "stable", null, shadow);
  }

  /**
   * A route to {@code version} itself (a client that names the version): the stable version or the candidate,
   * retained, with no fallback and no shadow copy; null when that version is not loaded here.
   */
  public synchronized Route routeTo(long version) {
    if (stable != null && stable.version() == version) {
      stable.tryRetain();
      return new Route(stable, "stable", null, null);
    }
    if (candidate != null && candidate.version() == version) {
      candidate.tryRetain();
      return new Route(candidate, policy.mode() == RolloutPolicy.Mode.CANARY ? "canary" : "shadow", null, null);
    }
    return null;
  }

  /**
   * Records a request's outcome on {@code version}, judges a canary that has enough requests, and returns the
   * version's stats (one lock per request).
   */
  public synchronized VersionStats answered(long version, boolean ok, long nanos) {
    VersionStats s = stats(version);
    s.request(ok, nanos);
    judgeCanary(version);
    return s;
  }

  private void judgeCanary(long version) {
    if (candidate == null || candidate.version() != version || policy.mode() != RolloutPolicy.Mode.CANARY) {
      return;
    }
    VersionStats.Snapshot c = stats.get(version).snapshot();
    VersionStats.Snapshot st = stats(stable.version()).snapshot();
    Rollout.Verdict v = Rollout.judgeCanary(c, stableAtCandidateStart == null || stableAtCandidateStart.version() != st.version()
        ? st : st.since(stableAtCandidateStart), policy);
    if (v.kind() == Rollout.Kind.PROMOTE) {
      promote("canary passed " + v.reason());
    } else if (v.kind() == Rollout.Kind.RETIRE) {
      abort("canary failed: " + v.reason());
    }
  }

  /** Makes the candidate stable (admin, or a canary that passed). False when there is none or it is not {@code v}. */
  public synchronized boolean promote(long v, String reason) {
    if (candidate == null || candidate.version() != v) {
      return false;
    }
    promote(reason);
    return true;
  }

  private void promote(String reason) {
    ModelHandle c = candidate;
    long old = stable.version();
    VersionStats.Snapshot s = stats.get(c.version()).snapshot();
    candidate = null;
    makeStable(c);
    listener.decided(Rollout.Kind.PROMOTE, c.version(), old, reason, s);
  }

  /** Retires the candidate (admin, or a canary that failed). False when there is none or it is not {@code v}. */
  public synchronized boolean abort(long v, String reason) {
    if (candidate == null || candidate.version() != v) {
      return false;
    }
    abort(reason);
    return true;
  }

  private void abort(String reason) {
    long v = candidate.version();
    VersionStats.Snapshot s = stats.get(v).snapshot();
    endCandidate(ModelStatus.RETIRED, reason);
    listener.decided(Rollout.Kind.RETIRE, v, stable.version(), reason, s);
  }

  /** Holds serving at the stable version: new versions are {@code held}, rollback does not act. */
  public synchronized void pin() {
    pinned = stable == null ? -1 : stable.version();
    if (candidate != null) {
      endCandidate(ModelStatus.RETIRED, "serving was pinned to v" + pinned);
    }
  }

  public synchronized void unpin() {
    pinned = -1;
  }

  /** The pinned version, or -1. */
  public synchronized long pinned() {
    return pinned;
  }

  /** The stable version (not retained: metadata only), or null. */
  public synchronized ModelHandle stable() {
    return stable;
  }

  /** The candidate (not retained: metadata only), or null. */
  public synchronized ModelHandle candidate() {
    return candidate;
  }

  /** The version that was stable before the current one, or -1. */
  public synchronized long previousStable() {
    return previousStable;
  }

  /** After a rollback: the restored version is not held to the one it replaced. */
  public synchronized void forgetPrevious() {
    previousStable = -1;
  }

  /** The stats of {@code version}, created if missing. */
  public synchronized VersionStats stats(long version) {
    return stats.computeIfAbsent(version, v -> new VersionStats(v, policy.rollbackWindow()));
  }

  /** The stats of {@code version}, or null. */
  public synchronized VersionStats statsIfAny(long version) {
    return stats.get(version);
  }

  @Override
  public synchronized void close() {
    if (candidate != null) {
      candidate.release();
      candidate = null;
    }
    if (stable != null) {
      stable.release();
      stable = null;
    }
  }
}
