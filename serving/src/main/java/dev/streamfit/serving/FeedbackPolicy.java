package dev.streamfit.serving;

import static dev.streamfit.common.ConfigChecks.range;

import java.time.Duration;
import java.util.Objects;

/**
 * What serving remembers of its predictions so that feedback can name them, and how much feedback it takes.
 * Immutable; validated on construction.
 *
 * @param remembered predictions remembered for feedback (the oldest are forgotten first), in [0, 10,000,000]
 * @param imageBytes bytes of predicted images kept so that a correction can become training data without the client
 *     sending the image again (the oldest images go first; their predictions stay), in [0, 4 GiB]
 * @param retention how long a prediction can get feedback, in [1 s, 7 days]
 * @param perClientPerSecond feedback records one client address may send per second on average, in [1, 100,000]
 * @param burst feedback records one client may send at once, in [1, 1,000,000]
 * @param publishCorrections publish a corrected image to {@code images.raw} with its true label
 */
public record FeedbackPolicy(int remembered, long imageBytes, Duration retention, int perClientPerSecond, int burst,
    boolean publishCorrections) {
  public FeedbackPolicy {
    Objects.requireNonNull(retention, "retention");
    range("serving.feedback-remembered", remembered, 0, 10_000_000, "--feedback-remembered");
    range("serving.feedback-image-mb", imageBytes >> 20, 0, 4096, "--feedback-image-mb");
    range("serving.feedback-retention-s", retention.toSeconds(), 1, 7 * 24 * 3600, "--feedback-retention-s");
    range("serving.feedback-rate", perClientPerSecond, 1, 100_000, "--feedback-rate");
    range("serving.feedback-burst", burst, 1, 1_000_000, "--feedback-burst");
  }

  /** 100,000 predictions, 64 MiB of images, one hour, 50/s per client with bursts of 100, corrections published. */
  public static FeedbackPolicy defaults() {
    return new FeedbackPolicy(100_000, 64L << 20, Duration.ofHours(1), 50, 100, true);
  }

  public FeedbackPolicy withRate(int perSecond, int burst) {
    return new FeedbackPolicy(remembered, imageBytes, retention, perSecond, burst, publishCorrections);
  }
}
