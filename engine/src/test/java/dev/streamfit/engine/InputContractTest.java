package dev.streamfit.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streamfit.schemas.InputSpec;
import org.junit.jupiter.api.Test;

class InputContractTest {
  @Test
  void writtenIntoAVersionAndReadBackTheSame() {
    InputContract c = InputContract.square(96);
    assertThat(c.toSpec()).isEqualTo(new InputSpec(96, 96, 3, InputEncoder.NCHW, InputEncoder.MINUS_ONE_TO_ONE, InputContract.STRETCH_AREA));
    assertThat(InputContract.fromSpec(c.toSpec())).isEqualTo(c);
  }

  @Test
  void specsOutsideTheContractAreRefusedWithTheReason() {
    assertThatThrownBy(() -> InputContract.fromSpec(new InputSpec(96, 96, 1, "NCHW", InputEncoder.MINUS_ONE_TO_ONE, InputContract.STRETCH_AREA)))
        .hasMessageContaining("3 channels, had 1");
    assertThatThrownBy(() -> InputContract.fromSpec(new InputSpec(8, 96, 3, "NCHW", InputEncoder.MINUS_ONE_TO_ONE, InputContract.STRETCH_AREA)))
        .hasMessageContaining("16..2048 px per side, was 96x8");
    assertThatThrownBy(() -> InputContract.fromSpec(new InputSpec(96, 96, 3, "CHW", InputEncoder.MINUS_ONE_TO_ONE, InputContract.STRETCH_AREA)))
        .hasMessageContaining("layout must be NCHW or NHWC, was CHW");
    assertThatThrownBy(() -> InputContract.fromSpec(new InputSpec(96, 96, 3, "NCHW", "zero_to_one", InputContract.STRETCH_AREA)))
        .hasMessageContaining("scaling must be minus_one_to_one");
    assertThatThrownBy(() -> InputContract.fromSpec(new InputSpec(96, 96, 3, "NCHW", InputEncoder.MINUS_ONE_TO_ONE, "letterbox")))
        .hasMessageContaining("resize rule must be stretch_area, was letterbox");
  }
}
