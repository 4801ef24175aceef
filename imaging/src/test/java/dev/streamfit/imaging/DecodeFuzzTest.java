package dev.streamfit.imaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;

import dev.streamfit.schemas.RejectReason;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.Test;

/**
 * 12,000 mutated JPEG and PNG payloads (bit flips, byte overwrites, truncation, insertion, deletion,
 * duplicated spans, header-field corruption) through the guarded decode path: every one is decoded to a
 * well-formed RGB image or rejected with a reason code; nothing else escapes, nothing crashes the JVM.
 */
class DecodeFuzzTest {
  static final int CASES = 12_000;

  @Test
  void mutatedPayloadsAreDecodedOrRejectedWithAReason() throws Exception {
    ImageDecoder decoder = new ImageDecoder(DecodeLimits.defaults());
    List<byte[]> seeds;
    try (Mat noise = new Mat(48, 64, CV_8UC3)) {
      opencv_core.randu(noise, new Mat(1, 1, opencv_core.CV_64F, new org.bytedeco.opencv.opencv_core.Scalar(0)),
          new Mat(1, 1, opencv_core.CV_64F, new org.bytedeco.opencv.opencv_core.Scalar(255)));
      seeds = List.of(UnusualImagesTest.encode(noise, ".jpg"), UnusualImagesTest.encode(noise, ".png"),
          ImageDecoderTest.sampleJpeg());
    }
    SplittableRandom rng = new SplittableRandom(2026);
    Map<RejectReason, Integer> rejected = new EnumMap<>(RejectReason.class);
    int decoded = 0;
    for (int i = 0; i < CASES; i++) {
      // the real 30 KB sample JPEG for 1 case in 20, the small seeds otherwise (keeps the test ~10 s)
      byte[] seed = i % 20 == 0 ? seeds.get(2) : seeds.get(i % 2);
      byte[] b = mutate(seed, rng);
      try (Mat m = decoder.decodeResized(b, 32, 32)) {
        assertThat(m.cols()).isEqualTo(32);
        assertThat(m.rows()).isEqualTo(32);
        assertThat(m.channels()).isEqualTo(3);
        decoded++;
      } catch (ImageRejectedException e) {
        assertThat(e.reason()).isNotNull();
        assertThat(e.getMessage()).isNotBlank();
        rejected.merge(e.reason(), 1, Integer::sum);
      }
    }
    System.out.printf("decode fuzz: %d cases, %d decoded, rejected %s%n", CASES, decoded, rejected);
    assertThat(decoded + rejected.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(CASES);
    assertThat(rejected).containsKeys(RejectReason.CORRUPT_IMAGE, RejectReason.UNSUPPORTED_FORMAT);
    assertThat(decoded).isPositive();
  }

  static byte[] mutate(byte[] seed, SplittableRandom rng) {
    byte[] b = seed.clone();
    int ops = 1 + rng.nextInt(4);
    for (int k = 0; k < ops && b.length > 0; k++) {
      int at = rng.nextInt(b.length);
      switch (rng.nextInt(8)) {
        case 0 -> b[at] ^= (byte) (1 << rng.nextInt(8));
        case 1 -> b[at] = (byte) rng.nextInt(256);
        case 2 -> b = java.util.Arrays.copyOf(b, at);
        case 3 -> {
          byte[] ins = new byte[1 + rng.nextInt(64)];
          rng.nextBytes(ins);
          b = splice(b, at, 0, ins);
        }
        case 4 -> b = splice(b, at, Math.min(b.length - at, 1 + rng.nextInt(64)), new byte[0]);
        case 5 -> {
          int len = Math.min(b.length - at, 1 + rng.nextInt(256));
          b = splice(b, rng.nextInt(b.length), 0, java.util.Arrays.copyOfRange(b, at, at + len));
        }
        case 6 -> { // corrupt a likely header field: the first 40 bytes (SOF/IHDR dimensions live there)
          int h = rng.nextInt(Math.min(40, b.length));
          b[h] = (byte) (rng.nextBoolean() ? 0xFF : 0x00);
        }
        default -> { // overwrite a run
          int len = Math.min(b.length - at, 1 + rng.nextInt(32));
          for (int j = 0; j < len; j++) {
            b[at + j] = (byte) rng.nextInt(256);
          }
        }
      }
    }
    return b;
  }

  private static byte[] splice(byte[] b, int at, int remove, byte[] insert) {
    byte[] out = new byte[b.length - remove + insert.length];
    System.arraycopy(b, 0, out, 0, at);
    System.arraycopy(insert, 0, out, at, insert.length);
    System.arraycopy(b, at + remove, out, at + insert.length, b.length - at - remove);
    return out;
  }
}
