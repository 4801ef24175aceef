package dev.streamfit.serving.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The predictions feedback may name, by prediction id and by image id (the latest prediction of an image):
 * at most {@code remembered} of them for at most {@code retention}, and at most {@code imageBytes} of their images
 * (past it the oldest images are dropped, their predictions stay). Thread-safe (one lock; every call is O(1)
 * amortised).
 */
public final class PredictionLog {
  /**
   * One answered prediction. {@code image} is null once dropped (or when not kept); {@code claimed} is set by the
   * first feedback on it.
   */
  public static final class Entry {
    final String id;
    final String imageId;
    final String model;
    final long version;
    final String arm;
    final String predicted;
    final List<String> labels;
    final Instant at;
    byte[] image;
    boolean claimed;

    Entry(String id, String imageId, String model, long version, String arm, String predicted, List<String> labels,
        byte[] image, Instant at) {
      this.id = id;
      this.imageId = imageId;
      this.model = model;
      this.version = version;
      this.arm = arm;
      this.predicted = predicted;
      this.labels = labels;
      this.image = image;
      this.at = at;
    }
  }

  private final int remembered;
  private final long imageBytes;
  private final Duration retention;
  private final LinkedHashMap<String, Entry> byId = new LinkedHashMap<>();
  private final Map<String, Entry> byImage = new HashMap<>();
  private final Deque<Entry> withImage = new ArrayDeque<>();
  private long bytes;

  public PredictionLog(int remembered, long imageBytes, Duration retention) {
    this.remembered = remembered;
    this.imageBytes = imageBytes;
    this.retention = retention;
  }

  /** Whether predictions are remembered at all ({@code remembered} > 0). */
  public boolean remembers() {
    return remembered > 0;
  }

  /** Remembers a prediction made at {@code at}; {@code image} is kept while the byte budget allows. */
  public synchronized void add(String id, String imageId, String model, long version, String arm, String predicted,
      List<String> labels, byte[] image, Instant at) {
    if (remembered == 0) {
      return;
    }
    boolean keep = image != null && image.length <= imageBytes;
    Entry e = new Entry(id, imageId, model, version, arm, predicted, labels, keep ? image : null, at);
    byId.put(id, e);
    byImage.put(imageId, e);
    if (keep) {
      withImage.addLast(e);
      bytes += image.length;
    }
    expire(at);
  }

  private void expire(Instant now) {
    Instant oldest = now.minus(retention);
    for (Iterator<Entry> it = byId.values().iterator(); it.hasNext(); ) {
      Entry e = it.next();
      if (byId.size() <= remembered && !e.at.isBefore(oldest)) {
        break;
      }
      it.remove();
      byImage.remove(e.imageId, e);
      dropImage(e);
    }
    while (bytes > imageBytes && !withImage.isEmpty()) {
      dropImage(withImage.peekFirst());
    }
  }

  private void dropImage(Entry e) {
    if (e.image != null) {
      bytes -= e.image.length;
      e.image = null;
      withImage.remove(e); // O(1) for the head, which is where drops happen but for expiry of image-less heads
    }
  }

  /** The entry of prediction {@code id} (or, when null, of the latest prediction of {@code imageId}), or null. */
  public synchronized Entry find(String id, String imageId, Instant now) {
    expire(now);
    return id != null ? byId.get(id) : imageId != null ? byImage.get(imageId) : null;
  }

  /** Marks {@code e} as having feedback; false if it already had. */
  public synchronized boolean claim(Entry e) {
    if (e.claimed) {
      return false;
    }
    e.claimed = true;
    return true;
  }

  /** Undoes {@link #claim} when the feedback could not be recorded. */
  public synchronized void unclaim(Entry e) {
    e.claimed = false;
  }

  /** The image kept with {@code e}, or null. */
  public synchronized byte[] image(Entry e) {
    return e.image;
  }

  /** Predictions remembered now. */
  public synchronized int size() {
    return byId.size();
  }

  /** Image bytes kept now. */
  public synchronized long imageBytes() {
    return bytes;
  }
}
