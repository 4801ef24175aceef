package dev.streamfit.features.internal;

import dev.streamfit.common.kafka.SampleOutcome;
import dev.streamfit.common.Rejections;
import dev.streamfit.engine.Activations;
import dev.streamfit.schemas.AugmentedSample;
import dev.streamfit.schemas.AvroSerde;
import dev.streamfit.schemas.RejectReason;
import dev.streamfit.schemas.Topics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One record of {@code images.augmented} → the same sample as activations, or a dead letter (malformed record, pixels
 * not at the prefix's input size, activations over {@link Topics#FEATURES_MAX_BYTES}, a failed forward pass). Never
 * throws for bad input. Thread-safe when its pool is.
 */
public final class FeatureMaker {
  private static final Logger LOG = LoggerFactory.getLogger(FeatureMaker.class);
  private static final AvroSerde<AugmentedSample> SAMPLES = AvroSerde.of(AugmentedSample.class);
  // Envelope of a features record beyond the activations (ids, label, augmentation parameters): generous.
  private static final int ENVELOPE = 64 * 1024;

  private final ExtractorPool pool;
  private final int size;
  private final Timer forward;
  private final MeterRegistry registry;

  public FeatureMaker(ExtractorPool pool, MeterRegistry registry) {
    this.pool = pool;
    this.size = pool.prefix().imageSize();
    this.registry = registry;
    this.forward = Timer.builder("streamfit_features_forward_seconds").description("frozen prefix, one sample")
        .register(registry);
  }

  /** The outcome of the record {@code value} at topic/partition/offset (null when unknown). */
  public SampleOutcome process(String key, byte[] value, String topic, int partition, long offset) {
    SampleOutcome o = make(key, value, topic, partition, offset);
    String kind = o instanceof SampleOutcome.Sample ? "sample" : ((SampleOutcome.Reject) o).rejection().getReason();
    Counter.builder("streamfit_features_records_total").tag("outcome", kind)
        .description("images.augmented records handled, by outcome (sample, or the rejection reason)").register(registry).increment();
    return o;
  }

  private SampleOutcome make(String key, byte[] value, String topic, int partition, long offset) {
    AugmentedSample s;
    try {
      s = SAMPLES.decode(value);
    } catch (RuntimeException e) {
      return reject(key, RejectReason.MALFORMED_RECORD, "not an AugmentedSample: " + e.getMessage(), topic, partition,
          offset);
    }
    int bytes = s.getPixels().remaining();
    if (s.getHeight() != size || s.getWidth() != size || s.getChannels() != 3 || bytes != size * size * 3) {
      return reject(key, RejectReason.BAD_SHAPE, "sample is " + s.getHeight() + "x" + s.getWidth() + "x" + s.getChannels()
          + " with " + bytes + " bytes; the prefix " + pool.prefix().describe() + " takes " + size + "x" + size + "x3",
          topic, partition, offset);
    }
    byte[] px = new byte[bytes];
    s.getPixels().duplicate().get(px);
    Activations a;
    long t0 = System.nanoTime();
    try {
      a = pool.extract(px);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for a feature extractor", e);
    } catch (RuntimeException e) {
      LOG.warn("frozen prefix failed on {}@{}:{}: {}", topic, partition, offset, e.toString());
      return reject(key, RejectReason.INTERNAL_ERROR, "frozen prefix failed: " + e, topic, partition, offset);
    }
    forward.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
    byte[] fp16 = a.toFp16();
    if (fp16.length + ENVELOPE > Topics.FEATURES_MAX_BYTES) {
      return reject(key, RejectReason.TOO_LARGE, "activations of " + pool.prefix().describe() + " are " + fp16.length
          + " bytes; the features topic takes " + (Topics.FEATURES_MAX_BYTES - ENVELOPE)
          + " (cut later: more --fine-tune-blocks is an earlier cut, fewer a later one; or a smaller --image-size)",
          topic, partition, offset);
    }
    s.setPixels(ByteBuffer.allocate(0));
    // CHECKSTYLE.OFF: the wire record shares its name with the engine's Activations
    s.setActivations(dev.streamfit.schemas.Activations.newBuilder().setPrefix(pool.hash()).setCut(pool.prefix().cut())
        .setShape(List.copyOf(a.shape())).setFp16(ByteBuffer.wrap(fp16)).build());
    // CHECKSTYLE.ON
    return new SampleOutcome.Sample(s);
  }

  private static SampleOutcome reject(String key, RejectReason reason, String message, String topic, int partition,
      long offset) {
    return new SampleOutcome.Reject(Rejections.of(Rejections.Stage.FEATURES, key, reason, message, topic, partition, offset,
        null));
  }
}
