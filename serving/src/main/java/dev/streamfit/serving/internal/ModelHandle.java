package dev.streamfit.serving.internal;

import dev.streamfit.engine.Predictor;
import dev.streamfit.serving.ActiveModel;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A reference-counted loaded model. The registry holds one reference while the version is active; each
 * request holds one from admission until its answer is written. The predictor's native memory is freed
 * when the last reference is released, so requests admitted before a swap finish on the old version.
 * Thread-safe.
 */
public final class ModelHandle {
  private final ActiveModel model;
  private final List<Predictor> predictors;
  private final AtomicInteger refs = new AtomicInteger(1);

  /** {@code predictors}: one per inference worker, the first being {@code model.predictor()}. */
  ModelHandle(ActiveModel model, List<Predictor> predictors) {
    this.model = model;
    this.predictors = List.copyOf(predictors);
  }

  /** The copy of the model inference worker {@code worker} runs. */
  Predictor predictor(int worker) {
    return predictors.get(worker);
  }

  public ActiveModel model() {
    return model;
  }

  public long version() {
    return model.version();
  }

  /** Takes a reference; false if the model was already freed. */
  boolean tryRetain() {
    for (int r = refs.get(); r > 0; r = refs.get()) {
      if (refs.compareAndSet(r, r + 1)) {
        return true;
      }
    }
    return false;
  }

  /** Drops a reference; the last one closes the predictor. */
  public void release() {
    int r = refs.decrementAndGet();
    if (r == 0) {
      predictors.forEach(Predictor::close);
    } else if (r < 0) {
      throw new IllegalStateException("model v" + version() + " released more often than retained");
    }
  }
}
