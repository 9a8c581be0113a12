// What the AWS app and the CLI must agree on about SageMaker: the endpoint
// EndpointStack creates when no name is given, which `rookery score
// --target sagemaker` uses by default too.
export const DEFAULT_ENDPOINT_NAME = 'rookery-penguins';
