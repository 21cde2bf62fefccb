namespace RefineWeb.Engine.Text;

/// <summary>A known word related to an unknown one, and how far: 1 = a synonym, hypernym, hyponym or the same emoji's caption; 2 = a sibling.</summary>
/// <remarks>The builder may add to it for rarer senses of the unknown word, so the commonest sense's neighbours come first.</remarks>
public sealed record MeaningCandidate(string Word, double Distance);

/// <summary>A text that uses an unknown word, reduced to the words the model knows, and how much it counts.</summary>
public sealed record MeaningContext(string Text, double Weight);

/// <summary>What a lexicon says about a word the model does not know: texts that use it (its meaning) and known words near it.</summary>
public sealed record WordNeighbourhood(string Word, IReadOnlyList<MeaningContext> Contexts, IReadOnlyList<MeaningCandidate> Candidates);
