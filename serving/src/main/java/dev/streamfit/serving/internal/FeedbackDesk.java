package dev.streamfit.serving.internal;

import dev.streamfit.common.Hashes;
import dev.streamfit.http.HttpError;
import java.time.Instant;

/**
 * Checks one piece of feedback (no I/O): it names a remembered prediction (by id, or the latest of an image), its
 * label is one of that version's labels, the prediction has had no feedback yet, and (over HTTP) its client is
 * within its rate. Refusals are {@link HttpError}s with stable codes: 400 {@code bad_request}, 404
 * {@code unknown_prediction}, 409 {@code duplicate_feedback}, 422 {@code unknown_label} or {@code image_mismatch},
 * 429 {@code rate_limited}. None of them changes live accuracy. Thread-safe.
 */
public final class FeedbackDesk {
  /** Feedback that counts: the prediction it is about, the true label, and whether the prediction was right. */
  public record Accepted(PredictionLog.Entry entry, String trueLabel, boolean correct) {
    public String predictionId() {
      return entry.id;
    }

    public String imageId() {
      return entry.imageId;
    }

    public String model() {
      return entry.model;
    }

    public long version() {
      return entry.version;
    }

    public String predicted() {
      return entry.predicted;
    }

    public String arm() {
      return entry.arm;
    }
  }

  private final PredictionLog log;
  private final RateLimiter limiter;

  public FeedbackDesk(PredictionLog log, RateLimiter limiter) {
    this.log = log;
    this.limiter = limiter;
  }

  /**
   * Accepts feedback on prediction {@code predictionId} (or, when null, the latest prediction of {@code imageId}) at
   * {@code now}; {@code client} is rate-limited unless null; {@code image}, when given, must be the predicted one.
   */
  public Accepted accept(String predictionId, String imageId, String label, byte[] image, String client, Instant now,
      long nowNanos) {
    if ((predictionId == null || predictionId.isBlank()) && (imageId == null || imageId.isBlank())) {
      throw HttpError.badRequest("feedback names a prediction: give predictionId (from the prediction's answer) or"
          + " imageId (SHA-256 hex of the image bytes)");
    }
    if (label == null || label.isBlank()) {
      throw HttpError.badRequest("feedback needs the true label (field label)");
    }
    if (client != null) {
      long wait = limiter.acquire(client, nowNanos);
      if (wait > 0) {
        throw HttpError.tooManyRequests("rate_limited", "too much feedback from " + client + "; retry in " + wait
            + " s (serving.feedback-rate, serving.feedback-burst)", wait);
      }
    }
    PredictionLog.Entry e = log.find(predictionId, imageId, now);
    if (e == null) {
      throw HttpError.notFound("unknown_prediction", (predictionId != null ? "prediction " + clip(predictionId)
          : "a prediction of image " + clip(imageId)) + " is not remembered here (unknown, or older than"
          + " serving.feedback-retention-s / past serving.feedback-remembered)");
    }
    if (!e.labels.contains(label)) {
      throw new HttpError(422, "unknown_label", "label '" + clip(label) + "' is not one of v" + e.version + "'s labels "
          + e.labels + " (ingest it as training data to teach a new label)");
    }
    if (image != null && !Hashes.sha256Hex(image).equals(e.imageId)) {
      throw new HttpError(422, "image_mismatch", "the image sent is not the one prediction " + e.id + " was about");
    }
    if (!log.claim(e)) {
      throw new HttpError(409, "duplicate_feedback", "prediction " + e.id + " already has feedback; it counts once");
    }
    return new Accepted(e, label, label.equals(e.predicted));
  }

  /** The predictions this desk checks feedback against. */
  public PredictionLog log() {
    return log;
  }

  private static String clip(String s) {
    return s.length() > 100 ? s.substring(0, 100) + "…" : s;
  }
}
