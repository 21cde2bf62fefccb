using static TorchSharp.torch;

namespace RefineWeb.Engine.Training;

/// <summary>What a stage learns: the module, its loss on a drawn batch, and what a sample grid shows.</summary>
public interface ITrainingObjective
{
    /// <summary>The trained module (its state dict is what the checkpoint and the exported weights hold).</summary>
    nn.Module Module { get; }

    /// <summary>The scalar loss of one batch drawn from <paramref name="bank"/> with <paramref name="generator"/>.</summary>
    Tensor Loss(ImageBank bank, Generator generator, TrainingOptions options);

    /// <summary>Renders a PNG that shows how training goes (run with the EMA weights loaded, in eval mode, without gradients).</summary>
    byte[] SampleGrid(ImageBank bank, TrainingOptions options);
}
