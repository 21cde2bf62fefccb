using static TorchSharp.torch;

namespace RefineWeb.Engine.Training;

/// <summary>Temporarily loads the EMA weights into the module (for samples and export); restores the training weights on dispose.</summary>
public sealed class EmaScope : IDisposable
{
    readonly nn.Module module;
    readonly Dictionary<string, Tensor> saved;
    readonly bool wasTraining;

    public EmaScope(nn.Module module, ExponentialMovingAverage ema)
    {
        this.module = module;
        wasTraining = module.training;
        saved = module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
        ema.CopyTo(module);
        module.eval();
    }

    public void Dispose()
    {
        using (no_grad())
            foreach (var (name, value) in module.state_dict()) value.copy_(saved[name]);
        foreach (var tensor in saved.Values) tensor.Dispose();
        if (wasTraining) module.train();
    }
}
