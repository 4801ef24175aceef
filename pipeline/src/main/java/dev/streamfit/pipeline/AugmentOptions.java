package dev.streamfit.pipeline;

import dev.streamfit.augment.ops.AugmentSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import picocli.CommandLine.Option;

/** Options of the augment stage: epochs, membership, and the Keras-named augmentation spec. */
public final class AugmentOptions {
  @Option(names = "--epochs", defaultValue = "3", description = "Augmented variants per train image, one per epoch (default ${DEFAULT-VALUE}).")
  public int epochs;

  @Option(names = "--epoch-mode", defaultValue = "passes",
      description = "passes: epoch-major replays of images.raw; interleaved: all epochs' variants at once (default ${DEFAULT-VALUE}).")
  public String epochMode;

  @Option(names = "--instance-id", defaultValue = "",
      description = "Stable id of this augment instance (Kafka static membership): a restart takes its partitions back at once.")
  public String instanceId;

  @Option(names = {"--rotation-range", "--rotation"}, defaultValue = "30",
      description = "Keras rotation_range: rotation drawn from [-r, r] degrees (default ${DEFAULT-VALUE}).")
  public double rotation;

  @Option(names = "--width-shift-range", defaultValue = "0.1",
      description = "Keras width_shift_range: fraction of the width if < 1, else pixels (default ${DEFAULT-VALUE}).")
  public double widthShift;

  @Option(names = "--height-shift-range", defaultValue = "0.1",
      description = "Keras height_shift_range: fraction of the height if < 1, else pixels (default ${DEFAULT-VALUE}).")
  public double heightShift;

  @Option(names = "--shift", description = "Sets both shift ranges.")
  public void shift(double v) {
    widthShift = v;
    heightShift = v;
  }

  @Option(names = "--shear-range", defaultValue = "0", description = "Keras shear_range, degrees (default ${DEFAULT-VALUE}).")
  public double shear;

  @Option(names = {"--zoom-range", "--zoom"}, defaultValue = "0.1",
      description = "Keras zoom_range: z for [1-z, 1+z], or lo,hi; zoom x and y drawn independently (default ${DEFAULT-VALUE}).")
  public String zoom;

  @Option(names = {"--no-flip", "--no-horizontal-flip"}, description = "Disable random horizontal flips (Keras horizontal_flip=False).")
  public boolean noFlip;

  @Option(names = "--vertical-flip", description = "Random vertical flips (Keras vertical_flip=True).")
  public boolean verticalFlip;

  @Option(names = "--brightness-range", defaultValue = "1,1",
      description = "Keras brightness_range lo,hi: pixel multiplier (default ${DEFAULT-VALUE} = off).")
  public String brightness;

  @Option(names = "--channel-shift-range", defaultValue = "0",
      description = "Keras channel_shift_range, 0..255 (default ${DEFAULT-VALUE}).")
  public double channelShift;

  @Option(names = "--fill-mode", defaultValue = "nearest",
      description = "Keras fill_mode: nearest, constant, reflect or wrap (default ${DEFAULT-VALUE}).")
  public String fillMode;

  @Option(names = "--cval", defaultValue = "0", description = "Fill value for --fill-mode constant (default ${DEFAULT-VALUE}).")
  public double cval;

  @Option(names = "--blur-sigma", defaultValue = "0",
      description = "Gaussian blur, sigma drawn from [0, s] pixels (default ${DEFAULT-VALUE}).")
  public double blurSigma;

  @Option(names = "--contrast-range", defaultValue = "0",
      description = "Contrast factor drawn from [1-c, 1+c] (default ${DEFAULT-VALUE}).")
  public double contrast;

  @Option(names = "--saturation-range", defaultValue = "0",
      description = "Saturation factor drawn from [1-s, 1+s] (default ${DEFAULT-VALUE}).")
  public double saturation;

  @Option(names = "--augment-spec", description = "Properties file with Keras-named augmentation keys; overrides the flags.")
  public Path augmentSpec;

  public AugmentSpec spec() {
    double[] z = AugmentSpec.range(zoom, "zoom_range", true);
    double[] b = AugmentSpec.range(brightness, "brightness_range", false);
    AugmentSpec flags = new AugmentSpec(rotation, widthShift, heightShift, shear, z[0], z[1], !noFlip, verticalFlip,
        b[0], b[1], channelShift, AugmentSpec.FillMode.parse(fillMode), cval, blurSigma, contrast, saturation);
    if (augmentSpec == null) {
      return flags;
    }
    Properties p = new Properties();
    try (var in = Files.newBufferedReader(augmentSpec)) {
      p.load(in);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read --augment-spec " + augmentSpec + ": " + e.getMessage(), e);
    }
    return AugmentSpec.fromProperties(p, flags);
  }
}
