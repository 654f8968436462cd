// spdy-transport ships no types; the port-forward server uses only connection.create.
declare module 'spdy-transport' {
  const transport: {
    connection: {
      create(socket: import('node:net').Socket, options: { protocol: string; isServer: boolean }): unknown;
    };
  };
  export default transport;
}
