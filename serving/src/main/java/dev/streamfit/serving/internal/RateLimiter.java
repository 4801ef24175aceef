package dev.streamfit.serving.internal;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Token buckets by client key: {@code perSecond} tokens a second up to {@code burst}; at most {@code clients}
 * buckets (the least recently used go, which only ever forgives). Time is passed in (nanoseconds), so it is a pure
 * function of its calls. Thread-safe.
 */
public final class RateLimiter {
  private static final class Bucket {
    double tokens;
    long at;
  }

  private final double perSecond;
  private final double burst;
  private final Map<String, Bucket> buckets;

  public RateLimiter(double perSecond, int burst, int clients) {
    this.perSecond = perSecond;
    this.burst = burst;
    this.buckets = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Bucket> e) {
        return size() > clients;
      }
    };
  }

  /** Takes one token for {@code client} at {@code nowNanos}: 0 if granted, else seconds until one is due (≥ 1). */
  public synchronized long acquire(String client, long nowNanos) {
    Bucket b = buckets.get(client);
    if (b == null) {
      b = new Bucket();
      b.tokens = burst;
      b.at = nowNanos;
      buckets.put(client, b);
    }
    b.tokens = Math.min(burst, b.tokens + (nowNanos - b.at) / 1e9 * perSecond);
    b.at = nowNanos;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, (long) Math.ceil((1 - b.tokens) / perSecond));
  }
}
