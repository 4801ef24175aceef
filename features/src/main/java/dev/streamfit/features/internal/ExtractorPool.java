package dev.streamfit.features.internal;

import dev.streamfit.engine.Activations;
import dev.streamfit.engine.FeatureExtractor;
import dev.streamfit.engine.FrozenPrefix;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * A fixed number of {@link FeatureExtractor}s (one per stream thread, each with one OpenMP thread) lent one call at a
 * time: a Kafka Streams task may move between threads, an extractor must not be used by two at once. Thread-safe;
 * {@link #close} frees them all (after the stream threads have stopped).
 */
public final class ExtractorPool implements AutoCloseable {
  private final BlockingQueue<FeatureExtractor> idle;
  private final List<FeatureExtractor> all = new ArrayList<>();
  private final FeatureExtractor first;

  /** Builds {@code size} extractors of {@code prefix} (each imports the base: seconds). */
  public ExtractorPool(FrozenPrefix prefix, int size) {
    idle = new ArrayBlockingQueue<>(size);
    try {
      for (int i = 0; i < size; i++) {
        FeatureExtractor e = FeatureExtractor.create(prefix);
        e.setNativeThreads(1);
        all.add(e);
        idle.add(e);
      }
    } catch (RuntimeException e) {
      close();
      throw e;
    }
    first = all.get(0);
  }

  /** Activations of one image; blocks while every extractor is busy. */
  public Activations extract(byte[] pixels) throws InterruptedException {
    FeatureExtractor e = idle.take();
    try {
      return e.extract(List.of(pixels)).get(0);
    } finally {
      idle.add(e);
    }
  }

  public String hash() {
    return first.hash();
  }

  public List<Integer> shape() {
    return first.shape();
  }

  public FrozenPrefix prefix() {
    return first.prefix();
  }

  @Override
  public void close() {
    all.forEach(FeatureExtractor::close);
  }
}
