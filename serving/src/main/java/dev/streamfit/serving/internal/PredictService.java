package dev.streamfit.serving.internal;

import dev.streamfit.imaging.ImageDecoder;
import dev.streamfit.imaging.ImageRejectedException;
import dev.streamfit.imaging.Pixels;
import dev.streamfit.schemas.RejectReason;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * Image bytes → prediction, shared by HTTP and topic inference: takes the active model (retained for the
 * whole request, so a swap never pulls it away mid-request), decodes with the augment stage's guards at
 * that model's input size on the caller's thread, and waits for the micro-batcher. Thread-safe.
 */
public final class PredictService {
  /** No model version is active yet. */
  public static final class NoModelException extends Exception {
    NoModelException(String model) {
      super("no version of " + (model == null ? "a model" : "model '" + model + "'") + " loaded yet; see /readyz");
    }
  }

  /** One item's outcome: a prediction or the reason it was refused. */
  public record Outcome(InferenceQueue.Prediction prediction, ImageRejectedException rejected) {}

  private final ModelRegistry registry;
  private final InferenceQueue queue;
  private final ImageDecoder decoder;

  public PredictService(ModelRegistry registry, InferenceQueue queue, ImageDecoder decoder) {
    this.registry = registry;
    this.queue = queue;
    this.decoder = decoder;
  }

  /** Predicts one image; throws if it is refused, no model is active or the forward pass fails. */
  public InferenceQueue.Prediction predict(byte[] image, int k)
      throws ImageRejectedException, NoModelException, InterruptedException, ExecutionException {
    Outcome o = predictAll(List.of(image), k).get(0);
    if (o.rejected() != null) {
      throw o.rejected();
    }
    return o.prediction();
  }

  /**
   * Predicts each image on one model version (the active one when called); refused images get their
   * reason, the others are queued together so they share forward passes.
   */
  public List<Outcome> predictAll(List<byte[]> images, int k) throws NoModelException, InterruptedException,
      ExecutionException {
    ModelHandle h = registry.acquire();
    if (h == null) {
      throw new NoModelException(registry.modelName());
    }
    try {
      int w = h.model().predictor().width();
      int ht = h.model().predictor().height();
      int kk = Math.max(1, Math.min(k, h.model().predictor().labels().size()));
      List<CompletableFuture<InferenceQueue.Prediction>> futures = new ArrayList<>();
      List<ImageRejectedException> rejected = new ArrayList<>();
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
      List<Outcome> out = new ArrayList<>(images.size());
      for (int i = 0; i < images.size(); i++) {
        out.add(futures.get(i) == null ? new Outcome(null, rejected.get(i)) : new Outcome(futures.get(i).get(), null));
      }
      return out;
    } finally {
      h.release();
    }
  }

  public ModelRegistry registry() {
    return registry;
  }
}
