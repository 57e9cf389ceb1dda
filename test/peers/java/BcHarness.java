// Test-only peer harness: Bouncy Castle 1.72 (Debian libbcprov/libbcpkix) acting as an independent
// S/MIME implementation for Sealgate's interop tests. Compiled with javac at test time.
// One JVM runs a whole batch: argv[0] is a job file, one tab-separated job per line:
//   ID encrypt CIPHER KT IN OUT CERT...      CIPHER aes128cbc|aes192cbc|aes256cbc|aes128gcm|aes256gcm,
//                                            KT pkcs1|oaep|oaep256 (EC certificates always use ECDH)
//   ID decrypt IN OUT CERT KEY               writes the content; reports content/key algorithm OIDs
//   ID sign DIGEST SCHEME MODE IN OUT CERT KEY [CHAIN...]   DIGEST sha256|sha384|sha512,
//                                            SCHEME rsa|pss|ecdsa, MODE detached|encap
//   ID verify IN OUT CA [CONTENT]            signature + PKIX path to CA (revocation off)
// MIME-level jobs (bcmail + javax.mail parse and write the S/MIME message themselves):
//   ID mverify IN OUT CA                     multipart/signed or application/pkcs7-mime signed-data;
//                                            writes the signed entity as BC/javax.mail see it
//   ID mdecrypt IN OUT CERT KEY              application/pkcs7-mime (enveloped/authEnveloped)
//   ID msign DIGEST SCHEME MODE IN OUT CERT KEY [CHAIN...]   IN is a MIME entity; OUT a message
//   ID mencrypt CIPHER KT IN OUT CERT...     CBC ciphers (bcmail 1.72 has no AuthEnveloped generator)
// Prints one line per job: "ID\tOK\t<details>" or "ID\tFAIL\t<reason>". Never exits early.
import java.io.*;
import java.nio.file.*;
import java.security.*;
import java.security.cert.*;
import java.security.spec.MGF1ParameterSpec;
import java.util.*;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.cms.CMSObjectIdentifiers;
import org.bouncycastle.asn1.cms.ContentInfo;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cms.*;
import org.bouncycastle.cms.jcajce.*;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OutputAEADEncryptor;
import org.bouncycastle.operator.OutputEncryptor;
import org.bouncycastle.operator.jcajce.JcaAlgorithmParametersConverter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.bouncycastle.util.Store;
import org.bouncycastle.mail.smime.SMIMEEnveloped;
import org.bouncycastle.mail.smime.SMIMEEnvelopedGenerator;
import org.bouncycastle.mail.smime.SMIMESigned;
import org.bouncycastle.mail.smime.SMIMESignedGenerator;
import javax.mail.Session;
import javax.mail.internet.MimeBodyPart;
import javax.mail.internet.MimeMessage;
import javax.mail.internet.MimeMultipart;

public class BcHarness {
  public static void main(String[] args) throws Exception {
    Security.addProvider(new BouncyCastleProvider());
    for (String line : Files.readAllLines(Paths.get(args[0]))) {
      if (line.isBlank()) continue;
      String[] f = line.split("\t");
      try {
        String details = run(f);
        System.out.println(f[0] + "\tOK\t" + details);
      } catch (Throwable t) {
        String msg = String.valueOf(t);
        if (t.getCause() != null) msg += " / " + t.getCause();
        System.out.println(f[0] + "\tFAIL\t" + msg.replace('\n', ' ').replace('\t', ' '));
      }
    }
  }

  static String run(String[] f) throws Exception {
    switch (f[1]) {
      case "encrypt": return encrypt(f[2], f[3], f[4], f[5], Arrays.copyOfRange(f, 6, f.length));
      case "decrypt": return decrypt(f[2], f[3], f[4], f[5]);
      case "sign": return sign(f[2], f[3], f[4], f[5], f[6], f[7], f[8], Arrays.copyOfRange(f, 9, f.length));
      case "verify": return verify(f[2], f[3], f[4], f.length > 5 ? f[5] : null);
      case "mverify": return mverify(f[2], f[3], f[4]);
      case "mdecrypt": return mdecrypt(f[2], f[3], f[4], f[5]);
      case "msign": return msign(f[2], f[3], f[4], f[5], f[6], f[7], f[8], Arrays.copyOfRange(f, 9, f.length));
      case "mencrypt": return mencrypt(f[2], f[3], f[4], f[5], Arrays.copyOfRange(f, 6, f.length));
      default: throw new IllegalArgumentException("unknown op " + f[1]);
    }
  }

  static X509Certificate cert(String path) throws Exception {
    try (InputStream in = new FileInputStream(path)) {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
  }

  static PrivateKey key(String path) throws Exception {
    try (PEMParser p = new PEMParser(new FileReader(path))) {
      Object o = p.readObject();
      return new JcaPEMKeyConverter().setProvider("BC").getPrivateKey((PrivateKeyInfo) o);
    }
  }

  static ASN1ObjectIdentifier cipher(String c) {
    switch (c) {
      case "aes128cbc": return CMSAlgorithm.AES128_CBC;
      case "aes192cbc": return CMSAlgorithm.AES192_CBC;
      case "aes256cbc": return CMSAlgorithm.AES256_CBC;
      case "aes128gcm": return CMSAlgorithm.AES128_GCM;
      case "aes256gcm": return CMSAlgorithm.AES256_GCM;
      default: throw new IllegalArgumentException("cipher " + c);
    }
  }

  static String encrypt(String c, String kt, String in, String out, String[] certs) throws Exception {
    List<RecipientInfoGenerator> rigs = recipients(kt, certs);
    CMSProcessableByteArray data = new CMSProcessableByteArray(Files.readAllBytes(Paths.get(in)));
    byte[] der;
    if (c.endsWith("gcm")) {
      CMSAuthEnvelopedDataGenerator gen = new CMSAuthEnvelopedDataGenerator();
      for (RecipientInfoGenerator r : rigs) gen.addRecipientInfoGenerator(r);
      OutputEncryptor enc = new JceCMSContentEncryptorBuilder(cipher(c)).setProvider("BC").build();
      der = gen.generate(data, (OutputAEADEncryptor) enc).getEncoded();
    } else {
      CMSEnvelopedDataGenerator gen = new CMSEnvelopedDataGenerator();
      for (RecipientInfoGenerator r : rigs) gen.addRecipientInfoGenerator(r);
      der = gen.generate(data, new JceCMSContentEncryptorBuilder(cipher(c)).setProvider("BC").build()).getEncoded();
    }
    Files.write(Paths.get(out), der);
    return "";
  }

  static List<RecipientInfoGenerator> recipients(String kt, String[] certs) throws Exception {
    List<RecipientInfoGenerator> rigs = new ArrayList<>();
    for (String cp : certs) {
      X509Certificate x = cert(cp);
      if (x.getPublicKey().getAlgorithm().startsWith("EC")) {
        KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC", "BC");
        kpg.initialize(new java.security.spec.ECGenParameterSpec("P-256"));
        KeyPair eph = kpg.generateKeyPair();
        JceKeyAgreeRecipientInfoGenerator g = new JceKeyAgreeRecipientInfoGenerator(
            CMSAlgorithm.ECDH_SHA256KDF, eph.getPrivate(), eph.getPublic(), CMSAlgorithm.AES256_WRAP);
        g.setProvider("BC");
        g.addRecipient(x);
        rigs.add(g);
      } else if (kt.equals("pkcs1")) {
        rigs.add(new JceKeyTransRecipientInfoGenerator(x).setProvider("BC"));
      } else {
        OAEPParameterSpec spec = kt.equals("oaep256")
            ? new OAEPParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT)
            : OAEPParameterSpec.DEFAULT;
        AlgorithmIdentifier ai = new JcaAlgorithmParametersConverter()
            .getAlgorithmIdentifier(PKCSObjectIdentifiers.id_RSAES_OAEP, spec);
        rigs.add(new JceKeyTransRecipientInfoGenerator(x, ai).setProvider("BC"));
      }
    }
    return rigs;
  }

  static String decrypt(String in, String out, String certPath, String keyPath) throws Exception {
    return decryptDer(Files.readAllBytes(Paths.get(in)), out, certPath, keyPath);
  }

  static String decryptDer(byte[] der, String out, String certPath, String keyPath) throws Exception {
    ContentInfo ci = ContentInfo.getInstance(der);
    RecipientInformationStore ris;
    String encAlg;
    if (ci.getContentType().equals(CMSObjectIdentifiers.authEnvelopedData)) {
      CMSAuthEnvelopedData a = new CMSAuthEnvelopedData(der);
      ris = a.getRecipientInfos();
      encAlg = org.bouncycastle.asn1.cms.AuthEnvelopedData.getInstance(ci.getContent())
          .getAuthEncryptedContentInfo().getContentEncryptionAlgorithm().getAlgorithm().getId();
    } else if (ci.getContentType().equals(CMSObjectIdentifiers.envelopedData)) {
      CMSEnvelopedData e = new CMSEnvelopedData(der);
      ris = e.getRecipientInfos();
      encAlg = e.getEncryptionAlgOID();
    } else {
      throw new CMSException("not enveloped: " + ci.getContentType());
    }
    X509Certificate x = cert(certPath);
    X509CertificateHolder h = new JcaX509CertificateHolder(x);
    PrivateKey k = key(keyPath);
    for (RecipientInformation ri : ris.getRecipients()) {
      if (!ri.getRID().match(h)) continue;
      Recipient r = (ri instanceof KeyAgreeRecipientInformation)
          ? new JceKeyAgreeEnvelopedRecipient(k).setProvider("BC")
          : new JceKeyTransEnvelopedRecipient(k).setProvider("BC");
      byte[] content = ri.getContent(r);
      Files.write(Paths.get(out), content);
      return encAlg + "\t" + ri.getKeyEncryptionAlgOID();
    }
    throw new CMSException("no RecipientInfo matches the certificate");
  }

  static String sign(String digest, String scheme, String mode, String in, String out, String certPath,
      String keyPath, String[] chain) throws Exception {
    String d = digest.toUpperCase(Locale.ROOT); // SHA256
    String alg = scheme.equals("rsa") ? d + "withRSA" : scheme.equals("pss") ? d + "withRSAandMGF1" : d + "withECDSA";
    X509Certificate x = cert(certPath);
    ContentSigner signer = new JcaContentSignerBuilder(alg).setProvider("BC").build(key(keyPath));
    CMSSignedDataGenerator gen = new CMSSignedDataGenerator();
    gen.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(
        new JcaDigestCalculatorProviderBuilder().setProvider("BC").build()).build(signer, x));
    List<X509Certificate> certs = new ArrayList<>();
    certs.add(x);
    for (String c : chain) certs.add(cert(c));
    gen.addCertificates(new JcaCertStore(certs));
    CMSSignedData sd = gen.generate(new CMSProcessableByteArray(Files.readAllBytes(Paths.get(in))), mode.equals("encap"));
    Files.write(Paths.get(out), sd.getEncoded("DER"));
    return "";
  }

  static String verify(String in, String out, String caPath, String contentPath) throws Exception {
    byte[] der = Files.readAllBytes(Paths.get(in));
    CMSSignedData sd = contentPath == null
        ? new CMSSignedData(der)
        : new CMSSignedData(new CMSProcessableByteArray(Files.readAllBytes(Paths.get(contentPath))), der);
    String details = verifySigners(sd, caPath);
    if (contentPath == null) {
      Object c = sd.getSignedContent() == null ? null : sd.getSignedContent().getContent();
      if (!(c instanceof byte[])) throw new CMSException("no encapsulated content");
      Files.write(Paths.get(out), (byte[]) c);
    }
    return details;
  }

  static String verifySigners(CMSSignedData sd, String caPath) throws Exception {
    Store<X509CertificateHolder> store = sd.getCertificates();
    JcaX509CertificateConverter conv = new JcaX509CertificateConverter().setProvider("BC");
    List<X509Certificate> all = new ArrayList<>();
    for (X509CertificateHolder h : store.getMatches(null)) all.add(conv.getCertificate(h));
    X509Certificate ca = cert(caPath);
    StringBuilder details = new StringBuilder();
    int n = 0;
    for (SignerInformation si : sd.getSignerInfos().getSigners()) {
      Collection<X509CertificateHolder> m = store.getMatches(si.getSID());
      if (m.isEmpty()) throw new CMSException("signer certificate not in the message");
      X509CertificateHolder h = m.iterator().next();
      if (!si.verify(new JcaSimpleSignerInfoVerifierBuilder().setProvider("BC").build(h))) {
        throw new CMSException("signature does not verify");
      }
      X509CertSelector sel = new X509CertSelector();
      sel.setCertificate(conv.getCertificate(h));
      PKIXBuilderParameters p = new PKIXBuilderParameters(Collections.singleton(new TrustAnchor(ca, null)), sel);
      p.setRevocationEnabled(false);
      p.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(all)));
      CertPathBuilder.getInstance("PKIX", "BC").build(p);
      details.append(si.getDigestAlgOID()).append(' ').append(si.getEncryptionAlgOID()).append(';');
      n++;
    }
    if (n == 0) throw new CMSException("no signers");
    return details.toString();
  }

  // ---- MIME level (bcmail + javax.mail)

  static final Session SESSION = Session.getDefaultInstance(new Properties());
  static final String HEADERS = "From: bc@example.test\r\nTo: alice@example.test\r\nSubject: bcmail interop\r\nMIME-Version: 1.0\r\n";

  static MimeMessage readMessage(String path) throws Exception {
    try (InputStream in = new FileInputStream(path)) {
      return new MimeMessage(SESSION, in);
    }
  }

  static String mverify(String in, String out, String caPath) throws Exception {
    MimeMessage msg = readMessage(in);
    SMIMESigned s = msg.isMimeType("multipart/signed") ? new SMIMESigned((MimeMultipart) msg.getContent()) : new SMIMESigned(msg);
    String details = verifySigners(s, caPath);
    try (OutputStream o = new FileOutputStream(out)) {
      s.getContent().writeTo(o);
    }
    return details;
  }

  static String mdecrypt(String in, String out, String certPath, String keyPath) throws Exception {
    MimeMessage msg = readMessage(in);
    if (!msg.isMimeType("application/pkcs7-mime") && !msg.isMimeType("application/x-pkcs7-mime")) {
      throw new CMSException("not application/pkcs7-mime: " + msg.getContentType());
    }
    byte[] der;
    try (InputStream is = msg.getInputStream()) { // transfer encoding decoded by javax.mail
      der = is.readAllBytes();
    }
    if (ContentInfo.getInstance(der).getContentType().equals(CMSObjectIdentifiers.envelopedData)) {
      new SMIMEEnveloped(msg); // bcmail's own parse of the S/MIME entity must accept it too
    }
    return decryptDer(der, out, certPath, keyPath);
  }

  static String msign(String digest, String scheme, String mode, String in, String out, String certPath,
      String keyPath, String[] chain) throws Exception {
    String d = digest.toUpperCase(Locale.ROOT);
    String alg = scheme.equals("rsa") ? d + "withRSA" : scheme.equals("pss") ? d + "withRSAandMGF1" : d + "withECDSA";
    X509Certificate x = cert(certPath);
    SMIMESignedGenerator gen = new SMIMESignedGenerator();
    gen.addSignerInfoGenerator(new JcaSimpleSignerInfoGeneratorBuilder().setProvider("BC").build(alg, key(keyPath), x));
    List<X509Certificate> certs = new ArrayList<>();
    certs.add(x);
    for (String c : chain) certs.add(cert(c));
    gen.addCertificates(new JcaCertStore(certs));
    MimeBodyPart content;
    try (InputStream is = new FileInputStream(in)) {
      content = new MimeBodyPart(is);
    }
    try (OutputStream o = new FileOutputStream(out)) {
      o.write(HEADERS.getBytes("US-ASCII"));
      if (mode.equals("detached")) {
        MimeMultipart mm = gen.generate(content);
        o.write(("Content-Type: " + mm.getContentType() + "\r\n\r\n").getBytes("US-ASCII"));
        mm.writeTo(o);
      } else {
        gen.generateEncapsulated(content).writeTo(o);
      }
    }
    return "";
  }

  static String mencrypt(String c, String kt, String in, String out, String[] certs) throws Exception {
    SMIMEEnvelopedGenerator gen = new SMIMEEnvelopedGenerator();
    for (RecipientInfoGenerator r : recipients(kt, certs)) gen.addRecipientInfoGenerator(r);
    MimeBodyPart content;
    try (InputStream is = new FileInputStream(in)) {
      content = new MimeBodyPart(is);
    }
    MimeBodyPart enc = gen.generate(content, new JceCMSContentEncryptorBuilder(cipher(c)).setProvider("BC").build());
    try (OutputStream o = new FileOutputStream(out)) {
      o.write(HEADERS.getBytes("US-ASCII"));
      enc.writeTo(o);
    }
    return "";
  }
}
