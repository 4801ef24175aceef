package dev.streamfit.augment.internal;

import dev.streamfit.common.kafka.SampleOutcome;
import dev.streamfit.augment.AugmentConfig;
import dev.streamfit.augment.ops.Augmenter;
import dev.streamfit.augment.ops.Geometry;
import dev.streamfit.augment.ops.Photometric;
import dev.streamfit.augment.ops.Seeds;
import dev.streamfit.common.Buffers;
import dev.streamfit.common.Rejections;
import dev.streamfit.imaging.ImageDecoder;
import dev.streamfit.imaging.ImageRejectedException;
import dev.streamfit.imaging.Pixels;
import dev.streamfit.schemas.AugmentationParams;
import dev.streamfit.schemas.AugmentedSample;
import dev.streamfit.schemas.AvroSerde;
import dev.streamfit.schemas.RawImage;
import dev.streamfit.schemas.RejectReason;
import dev.streamfit.schemas.Split;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.apache.kafka.common.errors.SerializationException;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * Turns one raw record into its outcomes for one pass over {@code images.raw}: pass 0 gives a train image
 * its epoch-0 variant (all epochs' variants in {@code INTERLEAVED} mode), other splits one resized sample,
 * and anything undecodable a rejection with a reason; pass e > 0 gives a train image its epoch-e variant
 * and nothing else (pass 0 already reported bad input and held-out images). Never throws for bad input.
 * Thread-safe (no mutable state).
 */
public final class SampleMaker {
  private static final AvroSerde<RawImage> RAW = AvroSerde.of(RawImage.class);
  private final AugmentConfig config;
  private final ImageDecoder decoder;
  private final int pass;
  private final AugmentMetrics metrics;

  /** A maker for pass {@code pass} (0-based, below {@link AugmentConfig#passes()}), recording into {@code metrics}. */
  public SampleMaker(AugmentConfig config, int pass, AugmentMetrics metrics) {
    this.metrics = metrics;
    if (pass < 0 || pass >= config.passes()) {
      throw new IllegalArgumentException("pass " + pass + " outside [0, " + config.passes() + ")");
    }
    this.config = config;
    this.pass = pass;
    this.decoder = new ImageDecoder(config.limits());
  }

  /** Outcomes of the record at {@code topic/partition/offset} with key {@code key}. */
  public List<SampleOutcome> process(String key, byte[] value, String topic, int partition, long offset) {
    metrics.recordIn();
    List<SampleOutcome> out = outcomes(key, value, topic, partition, offset);
    for (SampleOutcome o : out) {
      if (o instanceof SampleOutcome.Sample s) {
        metrics.recordOut(s.sample().getSplit().name().toLowerCase(Locale.ROOT));
      } else if (o instanceof SampleOutcome.Reject r) {
        metrics.recordRejection(r.rejection().getReason());
      }
    }
    return out;
  }

  private List<SampleOutcome> outcomes(String key, byte[] value, String topic, int partition, long offset) {
    RawImage raw;
    try {
      raw = RAW.decode(value);
      if (raw == null) {
        return List.of(reject(key, null, RejectReason.MALFORMED_RECORD, "null value (tombstone) on " + topic, topic, partition, offset));
      }
    } catch (SerializationException e) {
      return List.of(reject(key, null, RejectReason.MALFORMED_RECORD, e.getMessage(), topic, partition, offset));
    }
    if (pass > 0 && raw.getSplit() != Split.TRAIN) {
      return List.of();
    }
    try {
      return make(raw);
    } catch (ImageRejectedException e) {
      if (pass > 0) {
        return List.of(); // rejected once, by pass 0
      }
      return List.of(reject(key, raw.getSource(), e.reason(), e.getMessage(), topic, partition, offset));
    } catch (RuntimeException e) {
      if (pass > 0) {
        return List.of();
      }
      return List.of(reject(key, raw.getSource(), RejectReason.INTERNAL_ERROR, e.toString(), topic, partition, offset));
    }
  }

  private List<SampleOutcome> make(RawImage raw) throws ImageRejectedException {
    byte[] bytes = Buffers.copyOf(raw.getContent());
    int size = config.imageSize();
    List<SampleOutcome> out = new ArrayList<>();
    if (raw.getSplit() != Split.TRAIN) {
      long t0 = System.nanoTime();
      try (Mat resized = decoder.decodeResized(bytes, size, size)) {
        long t1 = System.nanoTime();
        metrics.decodeNanos(t1 - t0);
        AugmentationParams none = AugmentationParams.newBuilder().setSeed(0).setApplied(false).build();
        out.add(new SampleOutcome.Sample(sample(raw, 0, Pixels.toHwc(resized), none)));
        metrics.encodeNanos(System.nanoTime() - t1);
      }
      return out;
    }
    long t0 = System.nanoTime();
    try (Mat src = decoder.decodeRgb(bytes, size)) { // reduced-scale decode when ≥ 2× the target
      metrics.decodeNanos(System.nanoTime() - t0);
      int first = config.epochMode() == AugmentConfig.EpochMode.PASSES ? pass : 0;
      int end = config.epochMode() == AugmentConfig.EpochMode.PASSES ? pass + 1 : config.epochs();
      for (int epoch = first; epoch < end; epoch++) {
        long seed = Seeds.derive(config.runSeed(), raw.getId(), epoch, 0);
        AugmentationParams p = Augmenter.sample(config.spec(), new SplittableRandom(seed), seed, size, size);
        long t1 = System.nanoTime();
        try (Mat warped = Geometry.apply(src, p, size, size)) {
          long t2 = System.nanoTime();
          metrics.geometryNanos(t2 - t1);
          byte[] hwc;
          long t3;
          if (Photometric.isIdentity(p)) {
            t3 = t2;
            hwc = Pixels.toHwc(warped);
          } else {
            try (Mat aug = Photometric.apply(warped, p)) {
              t3 = System.nanoTime();
              metrics.colourNanos(t3 - t2);
              hwc = Pixels.toHwc(aug);
            }
          }
          out.add(new SampleOutcome.Sample(sample(raw, epoch, hwc, p)));
          metrics.encodeNanos(System.nanoTime() - t3);
        }
      }
    }
    return out;
  }

  private AugmentedSample sample(RawImage raw, int epoch, byte[] hwc, AugmentationParams p) {
    int size = config.imageSize();
    return AugmentedSample.newBuilder().setSourceId(raw.getId()).setEpoch(epoch).setVariant(0)
        .setLabel(raw.getLabel()).setSplit(raw.getSplit()).setHeight(size).setWidth(size).setChannels(3)
        .setPixels(ByteBuffer.wrap(hwc)).setAugmentation(p).build();
  }

  private static SampleOutcome reject(String key, String source, RejectReason reason, String message, String topic,
      int partition, long offset) {
    return new SampleOutcome.Reject(Rejections.of(Rejections.Stage.AUGMENT, key, reason, message, topic, partition, offset,
        source));
  }

}
