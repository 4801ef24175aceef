package dev.streamfit.engine;

import dev.streamfit.imaging.Pixels;
import dev.streamfit.schemas.InputSpec;
import java.util.Objects;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * What a model takes: {@code height}x{@code width} RGB (grey and alpha inputs are converted by the decoder), in
 * {@code layout} ({@link InputEncoder#NCHW} or NHWC), scaled by {@code scaling} ({@link InputEncoder#MINUS_ONE_TO_ONE}:
 * [0, 255] → [-1, 1]); images reach that size by the guarded decode and the {@code resize} rule ({@link #STRETCH_AREA},
 * {@code ImageDecoder.decodeResized}), the same for trainer evaluation, serving and the verifier. The one place
 * the contract is defined: it is written into each model version ({@link #toSpec}) and read back and checked from
 * it ({@link #fromSpec}). Immutable.
 */
public record InputContract(int height, int width, String layout, String scaling, String resize) {
  /**
   * The resize rule: each axis scaled on its own to the input size (the aspect ratio is not kept), area
   * interpolation when shrinking, bilinear when enlarging, as Keras {@code target_size} does.
   */
  public static final String STRETCH_AREA = "stretch_area";
  /** Smallest and largest side accepted, pixels. */
  public static final int MIN_SIDE = 16;
  public static final int MAX_SIDE = 2048;

  public InputContract {
    Objects.requireNonNull(layout, "layout");
    Objects.requireNonNull(scaling, "scaling");
    Objects.requireNonNull(resize, "resize");
    if (height < MIN_SIDE || height > MAX_SIDE || width < MIN_SIDE || width > MAX_SIDE) {
      throw new IllegalArgumentException("input must be " + MIN_SIDE + ".." + MAX_SIDE + " px per side, was " + width + "x"
          + height);
    }
    if (!InputEncoder.NCHW.equals(layout) && !InputEncoder.NHWC.equals(layout)) {
      throw new IllegalArgumentException("input layout must be NCHW or NHWC, was " + layout);
    }
    if (!InputEncoder.MINUS_ONE_TO_ONE.equals(scaling)) {
      throw new IllegalArgumentException("input scaling must be " + InputEncoder.MINUS_ONE_TO_ONE + ", was " + scaling);
    }
    if (!STRETCH_AREA.equals(resize)) {
      throw new IllegalArgumentException("input resize rule must be " + STRETCH_AREA + ", was " + resize);
    }
  }

  /** {@code side}x{@code side}, NCHW, [-1, 1], {@link #STRETCH_AREA}: what the classifiers built here take. */
  public static InputContract square(int side) {
    return new InputContract(side, side, InputEncoder.NCHW, InputEncoder.MINUS_ONE_TO_ONE, STRETCH_AREA);
  }

  /** The contract a model version declares; throws IllegalArgumentException saying what is not acceptable. */
  public static InputContract fromSpec(InputSpec spec) {
    if (spec.getChannels() != 3) {
      throw new IllegalArgumentException("input must have 3 channels, had " + spec.getChannels());
    }
    return new InputContract(spec.getHeight(), spec.getWidth(), String.valueOf(spec.getLayout()),
        String.valueOf(spec.getScaling()), String.valueOf(spec.getResize()));
  }

  /** As written into a model version. */
  public InputSpec toSpec() {
    return new InputSpec(height, width, 3, layout, scaling, resize);
  }

  /**
   * {@code hwc} (uint8 RGB, {@code height}x{@code width}) brought to this contract's size by the {@link #resize} rule;
   * the same array when it already has that size. For samples made at another size (a student trained on the
   * samples made for its teacher). IllegalArgumentException when the bytes do not fit the stated size.
   */
  public byte[] fit(byte[] hwc, int fromHeight, int fromWidth) {
    if (fromHeight == height && fromWidth == width && hwc.length == height * width * 3) {
      return hwc;
    }
    try (Mat in = Pixels.fromHwc(hwc, fromHeight, fromWidth); Mat out = Pixels.resize(in, width, height)) {
      return Pixels.toHwc(out);
    }
  }

  /** An encoder from uint8 HWC RGB at this size to the model's tensor. */
  InputEncoder encoder() {
    return new InputEncoder(height, width, layout);
  }
}
