"""The network of conf.d/examples/multipath: two hosts joined by two paths.

        +-- s2 --+
  h1 - s1        s4 - h2
        +-- s3 --+

Port numbers are fixed, since the multipath rules name them: h1 is on s1
port 1, s1 port 2 goes to s2 port 1 and s1 port 3 to s3 port 1, s2 port 2
and s3 port 2 go to s4 ports 1 and 2, and h2 is on s4 port 3.  Switch sN
has datapath id N.

    mn --custom conf.d/examples/multipath/twopaths.py --topo twopaths \\
       --switch ovsk,protocols=OpenFlow13 \\
       --controller remote,ip=127.0.0.1,port=6653

tests/e2e/run.py builds the same network with its own name prefix.
"""

from mininet.topo import Topo


class TwoPaths(Topo):
    def build(self, prefix=""):
        def switch(n):
            return self.addSwitch("%ss%d" % (prefix, n), dpid="%016x" % n)

        s1, s2, s3, s4 = (switch(n) for n in (1, 2, 3, 4))
        h1 = self.addHost("%sh1" % prefix)
        h2 = self.addHost("%sh2" % prefix)
        self.addLink(h1, s1, port2=1)
        self.addLink(s1, s2, port1=2, port2=1)
        self.addLink(s1, s3, port1=3, port2=1)
        self.addLink(s2, s4, port1=2, port2=1)
        self.addLink(s3, s4, port1=2, port2=2)
        self.addLink(h2, s4, port2=3)


topos = {"twopaths": TwoPaths}
