package dev.streamfit.serving.internal;

import dev.streamfit.engine.Predictor;
import dev.streamfit.engine.FeatureMaps;
import dev.streamfit.engine.HeatMap;
import dev.streamfit.imaging.ImageDecoder;
import dev.streamfit.imaging.ImageRejectedException;
import dev.streamfit.imaging.Pixels;
import dev.streamfit.common.Hashes;
import dev.streamfit.schemas.RejectReason;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * Image bytes → prediction, shared by HTTP and topic inference: takes the versions the {@link Deployment} routes
 * the request to (retained for the whole request, so a swap never pulls one away mid-request), decodes with the
 * augment stage's guards at that version's input size on the caller's thread, and waits for the micro-batcher. A
 * canary that fails is answered again by the stable version (the client sees no failure; the canary's error is
 * counted); a shadow gets a copy whose answer is only compared. Each answer gets a prediction id, remembered in the
 * {@link PredictionLog} for feedback. Thread-safe.
 */
public final class PredictService {
  /** No model version is active yet. */
  public static final class NoModelException extends Exception {
    NoModelException(String model) {
      super("no version of " + (model == null ? "a model" : "model '" + model + "'") + " loaded yet; see /readyz");
    }
  }

  /** One item's outcome: a prediction, or the reason its image was refused. */
  public sealed interface Outcome {
    /**
     * A prediction with its id, the rollout arm that answered ({@code stable} or {@code canary}; {@code shadow} when
     * a client named the shadow version) and the labels of the version that answered, in output order.
     */
    record Answered(InferenceQueue.Prediction prediction, String predictionId, String arm, List<String> labels)
        implements Outcome {}

    /** The image was refused before inference. */
    record Refused(ImageRejectedException rejected) implements Outcome {}
  }

  private final ModelRegistry registry;
  private final InferenceQueue queue;
  private final ImageDecoder decoder;
  private final PredictionLog log;
  private final ServingMetrics metrics;
  private final String metricsModel;

  /**
   * Predictions of {@code registry}'s model; {@code metricsModel} tags its per-version meters (null for the
   * default model).
   */
  public PredictService(ModelRegistry registry, InferenceQueue queue, ImageDecoder decoder, PredictionLog log,
      ServingMetrics metrics, String metricsModel) {
    this.registry = registry;
    this.queue = queue;
    this.decoder = decoder;
    this.log = log;
    this.metrics = metrics;
    this.metricsModel = metricsModel;
  }

  /** Predicts one image; throws if it is refused, no model is active or the forward pass fails. */
  public Outcome.Answered predict(byte[] image, int k)
      throws ImageRejectedException, NoModelException, InterruptedException, ExecutionException {
    Outcome o = predictAll(List.of(image), k).get(0);
    if (o instanceof Outcome.Refused r) {
      throw r.rejected();
    }
    return (Outcome.Answered) o;
  }

  /** Heat maps of one image on the version that answered, with the pixels they lie over. */
  public record Explained(long version, int width, int height, byte[] pixels, List<HeatMap> maps, FeatureMaps layer) {}

  /**
   * Heat maps (Grad-CAM) of {@code image}'s top {@code k} classes on the version answering now, computed on a copy of
   * its predictor, so the inference workers' passes do not wait for it; the caller bounds how many run at once. With
   * a {@code layer} (nullable), also that layer's first channels.
   */
  public Explained explain(byte[] image, int k, String layer) throws ImageRejectedException, NoModelException,
      UnknownLayerException {
    Deployment.Route route = registry.deployment().route();
    if (route == null) {
      throw new NoModelException(registry.modelName());
    }
    if (route.shadow() != null) {
      route.shadow().release();
    }
    try (route) {
      ModelHandle h = route.primary();
      Predictor p = h.model().predictor();
      byte[] px;
      try (Mat m = decoder.decodeResized(image, p.width(), p.height())) {
        px = Pixels.toHwc(m);
      } catch (RuntimeException e) {
        throw new ImageRejectedException(RejectReason.CORRUPT_IMAGE, "could not read the image: " + e);
      }
      try (Predictor copy = p.copy(1)) {
        return new Explained(h.version(), p.width(), p.height(), px,
            copy.explain(px, Math.max(1, Math.min(k, p.labels().size()))),
            layer == null ? null : layer(copy, px, layer));
      }
    }
  }

  /** {@code layer} is not an image-shaped layer of the model; the message names those that are. */
  public static final class UnknownLayerException extends Exception {
    UnknownLayerException(String message) {
      super(message);
    }
  }

  private static FeatureMaps layer(Predictor p, byte[] px, String layer) throws UnknownLayerException {
    try {
      return p.featureMaps(px, layer, Explanations.MAX_CHANNELS);
    } catch (IllegalArgumentException e) {
      throw new UnknownLayerException(e.getMessage());
    }
  }

  /**
   * Predicts each image on one version (chosen by the rollout when called); refused images get their reason, the
   * others are queued together so they share forward passes.
   */
  public List<Outcome> predictAll(List<byte[]> images, int k) throws NoModelException, InterruptedException,
      ExecutionException {
    long t0 = System.nanoTime();
    Deployment.Route route = registry.deployment().route();
    if (route == null) {
      throw new NoModelException(registry.modelName());
    }
    return answer(route, images, k, t0);
  }

  /** A version a client named is not loaded here (only the stable version and the candidate are). */
  public static final class NotLoadedException extends Exception {
    NotLoadedException(String message) {
      super(message);
    }
  }

  /**
   * As {@link #predictAll(List, int)}, on {@code version} itself: the stable version or the candidate, with no
   * fallback and no shadow copy.
   *
   * @throws NotLoadedException if {@code version} is neither
   */
  public List<Outcome> predictAllOn(long version, List<byte[]> images, int k) throws NoModelException,
      InterruptedException, ExecutionException, NotLoadedException {
    long t0 = System.nanoTime();
    Deployment d = registry.deployment();
    Deployment.Route route = d.routeTo(version);
    if (route == null) {
      ModelHandle stable = d.stable();
      if (stable == null) {
        throw new NoModelException(registry.modelName());
      }
      ModelHandle c = d.candidate();
      throw new NotLoadedException("version " + version + " is not loaded here; loaded: v" + stable.version()
          + (c == null ? "" : " and v" + c.version()));
    }
    return answer(route, images, k, t0);
  }

  private List<Outcome> answer(Deployment.Route route, List<byte[]> images, int k, long t0)
      throws InterruptedException, ExecutionException {
    Deployment d = registry.deployment();
    ModelHandle shadow = route.shadow();
    try (route) {
      ModelHandle answering = route.primary();
      String arm = route.arm();
      Attempt a = attempt(answering, images, k);
      if (a.failure != null && route.fallback() != null) {
        d.answered(answering.version(), false, System.nanoTime() - t0);
        answering = route.fallback();
        arm = "stable";
        a = attempt(answering, images, k);
      }
      if (a.failure != null) {
        d.answered(answering.version(), false, System.nanoTime() - t0);
        throw a.failure;
      }
      long nanos = System.nanoTime() - t0;
      metrics.version(metricsModel, d.answered(answering.version(), true, nanos));
      metrics.versionLatency(metricsModel, answering.version(), nanos);
      List<Outcome> out = new ArrayList<>(images.size());
      Instant now = Instant.now();
      for (int i = 0; i < images.size(); i++) {
        InferenceQueue.Prediction p = a.predictions.get(i);
        if (p == null) {
          out.add(new Outcome.Refused(a.rejected.get(i)));
          continue;
        }
        String id = UUID.randomUUID().toString();
        if (!p.top().isEmpty() && log.remembers()) {
          log.add(id, Hashes.sha256Hex(images.get(i)), registry.modelName(), p.version(), arm, p.top().get(0).label(),
              answering.model().predictor().labels(), images.get(i), now);
        }
        out.add(new Outcome.Answered(p, id, arm, answering.model().predictor().labels()));
      }
      if (shadow != null) {
        compare(shadow, images, out, k, d);
        shadow = null; // released by the comparison
      }
      return out;
    } finally {
      if (shadow != null) {
        shadow.release();
      }
    }
  }

  /** The predictions of one version (null where refused) or the failure of a forward pass. */
  private static final class Attempt {
    final List<InferenceQueue.Prediction> predictions = new ArrayList<>();
    final List<ImageRejectedException> rejected = new ArrayList<>();
    ExecutionException failure;
  }

  private Attempt attempt(ModelHandle h, List<byte[]> images, int k) throws InterruptedException {
    Attempt a = new Attempt();
    List<CompletableFuture<InferenceQueue.Prediction>> futures = submit(h, images, k, a.rejected);
    for (CompletableFuture<InferenceQueue.Prediction> f : futures) {
      try {
        a.predictions.add(f == null ? null : f.get());
      } catch (ExecutionException e) {
        a.predictions.add(null);
        a.failure = e;
      }
    }
    return a;
  }

  private List<CompletableFuture<InferenceQueue.Prediction>> submit(ModelHandle h, List<byte[]> images, int k,
      List<ImageRejectedException> rejected) {
    int w = h.model().predictor().width();
    int ht = h.model().predictor().height();
    int kk = Math.max(1, Math.min(k, h.model().predictor().labels().size()));
    List<CompletableFuture<InferenceQueue.Prediction>> futures = new ArrayList<>();
    for (byte[] image : images) {
      try (Mat m = decoder.decodeResized(image, w, ht)) {
        futures.add(queue.submit(h, Pixels.toHwc(m), kk));
        rejected.add(null);
      } catch (ImageRejectedException e) {
        futures.add(null);
        rejected.add(e);
      } catch (RuntimeException e) { // one image's failure stays that image's: the others are still answered
        futures.add(null);
        rejected.add(new ImageRejectedException(RejectReason.CORRUPT_IMAGE, "could not read the image: " + e));
      }
    }
    return futures;
  }

  /** Runs {@code shadow} (retained; released here) on copies and compares its top-1 with the answers given. */
  private void compare(ModelHandle shadow, List<byte[]> images, List<Outcome> answers, int k, Deployment d) {
    long t0 = System.nanoTime();
    List<CompletableFuture<InferenceQueue.Prediction>> futures;
    try {
      futures = submit(shadow, images, k, new ArrayList<>());
    } catch (RuntimeException e) {
      shadow.release();
      throw e;
    }
    VersionStats stats = d.stats(shadow.version());
    metrics.version(metricsModel, stats);
    CompletableFuture.allOf(futures.stream().filter(f -> f != null).toArray(CompletableFuture[]::new))
        .whenComplete((x, error) -> {
          try {
            stats.request(error == null, System.nanoTime() - t0);
            for (int i = 0; i < answers.size() && error == null; i++) {
              if (answers.get(i) instanceof Outcome.Answered a && futures.get(i) != null && !a.prediction().top().isEmpty()) {
                InferenceQueue.Prediction given = a.prediction();
                InferenceQueue.Prediction s = futures.get(i).join();
                stats.compared(!s.top().isEmpty() && s.top().get(0).label().equals(given.top().get(0).label()));
              }
            }
          } finally {
            shadow.release();
          }
        });
  }

  public ModelRegistry registry() {
    return registry;
  }
}
