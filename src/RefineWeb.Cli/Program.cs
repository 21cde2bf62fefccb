using RefineWeb.Cli;

return await RefineWebCli.RunAsync(args, Console.Out, Console.Error);
