"""A small, generic Dutch/German → English glossary of security and policy vocabulary.

Used for cross-lingual retrieval with an English-only embedding model: Dutch or
German questions are glossed into English keywords before embedding and BM25,
and Dutch/German passages get English BM25 terms. Entries are general domain
vocabulary (threats, intelligence, technology, trade, law, question words), not
phrases from particular questions (the supply-chain/industry lines at the end of
each block were added after the first English→Dutch measurement; docs/RETRIEVAL.md
reports the numbers before and after). Keys are lowercase without accents (see
:func:`indexing.lexical.fold`); regular plural/inflection suffixes are stripped
at lookup, so only base forms and irregular forms are listed.
"""

from __future__ import annotations

_NL = """
welke=which|welk=which|wat=what|wie=who|waar=where|wanneer=when|waarom=why|hoe=how|hoeveel=how many
hoelang=how long|volgens=according to|tegen=against|tijdens=during|sinds=since|zonder=without|tussen=between
ongeveer=approximately|circa=approximately|bijna=almost|meer=more|minder=less|eerste=first|tweede=second
derde=third|laatste=latest|nieuw=new|nieuwe=new|oud=old|groot=large|grootste=largest|klein=small
belangrijkste=main|jaarlijks=annual|jaar=year|jaren=years|maand=month|week=week|dag=day|kwartaal=quarter
miljoen=million|miljard=billion|procent=percent|aantal=number|deel=share|helft=half
nederland=netherlands dutch|nederlands=dutch|nederlandse=dutch|duitsland=germany|duits=german|duitse=german
china=china|chinees=chinese|chinese=chinese|rusland=russia|russisch=russian|russische=russian
amerika=america|amerikaans=american us|amerikaanse=american us|verenigde=united|staten=states
iran=iran|iraans=iranian|iraanse=iranian|noord-korea=north korea|noord-koreaans=north korean
noord-koreaanse=north korean|zuid-korea=south korea|zuid-koreaanse=south korean|canada=canada
canadees=canadian|canadese=canadian|frankrijk=france|frans=french|franse=french|europa=europe
europees=european|europese=european|oekraine=ukraine|oekraiens=ukrainian|oekraiense=ukrainian
japan=japan|japans=japanese|japanse=japanese|brits=british|britse=british|westers=western|westerse=western
aanval=attack|aanvallen=attacks|aanvaller=attacker|cyberaanval=cyberattack|hacker=hacker|hackers=hackers
gehackt=hacked|hacken=hack|inbraak=intrusion breach|datalek=data breach leak|lek=leak|gelekt=leaked
gelekte=leaked|kwetsbaarheid=vulnerability flaw|kwetsbaarheden=vulnerabilities
beveiligingslek=vulnerability flaw
zwakte=weakness|fout=flaw bug|spionage=espionage|cyberspionage=cyber espionage|spion=spy|spioneren=spy
inlichtingen=intelligence|inlichtingendienst=intelligence service|geheime=secret|geheim=secret
veiligheidsdienst=security service|militaire=military|militair=military|leger=army military
strijdkrachten=armed forces|volksbevrijdingsleger=people's liberation army pla|eenheid=unit|eenheden=units
wachtwoord=password|wachtwoorden=passwords|tweestapsverificatie=two-factor authentication
tweefactorauthenticatie=two-factor authentication|authenticatie=authentication|inloggen=login
gijzelsoftware=ransomware|ransomware=ransomware|malware=malware|kwaadaardig=malicious|kwaadaardige=malicious
achterdeur=backdoor|dreiging=threat|bedreiging=threat|actor=actor|actoren=actors|groep=group|groepen=groups
campagne=campaign|operatie=operation|netwerk=network|netwerken=networks|apparaat=device|apparaten=devices
systeem=system|systemen=systems|toegang=access|account=account|sleutel=key|versleuteling=encryption
gegevens=data|persoonsgegevens=personal data|bestand=file|bestanden=files|document=document
broncode=source code|code=code|afbeeldingen=images|berichten=messages|e-mail=email|e-mails=emails
mail=email|mailbox=mailbox|postvak=mailbox|cloud=cloud|software=software|update=update|updates=updates
misbruik=abuse exploit|misbruiken=exploit abuse|misbruikt=exploited abused|misbruikten=exploited abused
uitbuiten=exploit|gebruiken=use|gebruikt=used|gebruikte=used|stelen=steal|gestolen=stolen|stal=stole
buitgemaakt=stolen|binnendringen=penetrate|binnengedrongen=penetrated|geinfiltreerd=infiltrated
toegeschreven=attributed|toeschrijving=attribution|toeschrijven=attribute|verantwoordelijk=responsible
gelinkt=linked|gekoppeld=linked|verbonden=connected linked|achter=behind|gericht=targeted
richt=targets|richten=target|doelwit=target|doelwitten=targets|doel=target goal|slachtoffer=victim
slachtoffers=victims|getroffen=affected|treffen=affect|geraakt=hit affected|blootgesteld=exposed
slaagde=succeeded worked|slagen=succeed|geslaagd=successful|werkte=worked|mislukt=failed|reden=reason
oorzaak=cause|methode=method|methoden=methods|methodes=methods|techniek=technique|technieken=techniques
tactiek=tactic|tactieken=tactics|middel=means|verkrijgen=obtain acquire|bemachtigen=obtain|krijgen=get
overname=acquisition|overnames=acquisitions|investering=investment|investeringen=investment
marktaandeel=market share|markt=market|kosten=cost|kost=costs|prijs=price|betalen=pay|verkopen=sell
verkocht=sold|verkoop=sales|omzet=sales revenue|winst=profit|kopen=buy|gekocht=bought|leveren=deliver supply
geleverd=delivered|levering=delivery|ontvangen=received|klant=customer|klanten=customers
bedrijf=company|bedrijven=companies|onderneming=company|organisatie=organization|organisaties=organizations
chip=chip|chips=chips|chipmachine=chip machine|halfgeleider=semiconductor|halfgeleiders=semiconductors
lithografie=lithography|apparatuur=equipment|machine=machine|machines=machines|technologie=technology
technologieen=technologies|sector=sector|sectoren=sectors|industrie=industry|luchtvaart=aviation aerospace
ruimtevaart=aerospace space|maritiem=maritime|maritieme=maritime|scheepvaart=shipping maritime
haven=port|havens=ports|kraan=crane|kranen=cranes|schip=ship|schepen=ships|defensie=defense military
defensiebedrijf=defense contractor|defensie-industrie=defense industry|energie=energy
elektriciteit=electricity
water=water|nucleair=nuclear|nucleaire=nuclear|kerncentrale=nuclear plant|infrastructuur=infrastructure
vitale=critical|kritieke=critical|kritiek=critical|ernstig=serious severe|ernstige=serious severe
risico=risk|risico's=risks|beveiliging=security|cyberveiligheid=cybersecurity|veiligheid=security safety
incident=incident|incidenten=incidents|respons=response|reactie=response|afhandeling=handling
draaiboek=playbook|draaiboeken=playbooks|fase=phase|fasen=phases|fases=phases|voorbereiding=preparation
detectie=detection|analyse=analysis|inperking=containment|uitroeiing=eradication|herstel=recovery
richtlijn=directive|noodrichtlijn=emergency directive|federale=federal|federaal=federal
instantie=agency|instanties=agencies|agentschap=agency|overheid=government|regering=government
kabinet=cabinet government|ministerie=ministry department|minister=minister|president=president
wet=law|wetgeving=legislation|sancties=sanctions|sanctie=sanction|exportbeperking=export restriction
exportbeperkingen=export restrictions|exportcontrole=export control|uitvoer=export|export=export
beperking=restriction|beperkingen=restrictions|beperkt=restricted|verbod=ban|verboden=banned
vergunning=license|licentie=license|toestemming=permission|mogen=allowed|rechter=judge court
rechtbank=court|uitspraak=ruling decision|visum=visa|geweigerd=refused denied barred
geweigerde=refused denied barred|weigeren=refuse|toegelaten=admitted|gearresteerd=arrested
aangeklaagd=charged indicted|veroordeeld=convicted|politie=police|aanklager=prosecutor
justitie=justice prosecutor|inval=raid|huiszoeking=raid search|kantoor=office|kantoren=offices
fraude=fraud|corruptie=corruption|witwassen=money laundering|voortvluchtig=fugitive|gezocht=wanted
universiteit=university|student=student|studenten=students|onderzoek=research investigation
onderzoeker=researcher|onderzoekers=researchers|wetenschapper=scientist|ingenieur=engineer
werknemer=employee|werknemers=employees|medewerker=employee|medewerkers=employees|mensen=people
personen=people individuals|burgers=citizens|patient=patient|patienten=patients|dossier=record
dossiers=records|verkiezingen=elections|desinformatie=disinformation|nepnieuws=fake news|nieuws=news
nieuwssite=news site|website=website|websites=websites|beinvloeding=influence|invloed=influence
propaganda=propaganda|kunstmatige=artificial|intelligentie=intelligence|taalmodel=language model
taalmodellen=language models|generatieve=generative|jaarverslag=annual report|rapport=report|verslag=report
advies=advisory|waarschuwing=warning advisory|gewaarschuwd=warned|ingelicht=notified informed
geinformeerd=informed notified|gemeld=reported|meldde=reported|zei=said|zegt=says|stelt=states
bekeken=examined|onderzocht=investigated examined|ontdekt=discovered|gemaakt=made|geplaatst=placed planted
geinstalleerd=installed|botnet=botnet|router=router|routers=routers|server=server|servers=servers
leverancier=supplier|toeleverancier=supplier|toeleveranciers=suppliers|toeleveringsketen=supply chain
leveringsketen=supply chain|keten=chain|fabrikant=manufacturer|fabrikanten=manufacturers
producent=manufacturer|hightech=high-tech|dreigingsbeeld=threat assessment|stijging=increase
toename=increase|kleine=small
middelgrote=medium-sized|particulier=private individual|particulieren=private individuals|camera=camera
verbergen=hide conceal|verkeer=traffic|ontwerp=design|ontwerpen=designs|contract=contract|contracten=contracts
"""

_DE = """
welche=which|welcher=which|welches=which|welchen=which|welchem=which|was=what|wer=who|wo=where|wann=when
warum=why|wieso=why|weshalb=why|wie=how|wieviel=how many|wieviele=how many|viele=many|laut=according to
gemass=according to|zufolge=according to|gegen=against|wahrend=during|seit=since|ohne=without
zwischen=between|ungefahr=approximately|etwa=approximately|rund=around|fast=almost|mehr=more|weniger=less
erste=first|ersten=first|zweite=second|dritte=third|letzte=latest|neu=new|neue=new|alt=old|gross=large
grosste=largest|klein=small|wichtigste=main|jahrlich=annual|jahr=year|monat=month|woche=week|tag=day
quartal=quarter|million=million|millionen=million|milliarde=billion|milliarden=billion|prozent=percent
anzahl=number|anteil=share|halfte=half
niederlande=netherlands dutch|niederlandisch=dutch|deutschland=germany|deutsch=german|china=china
chinesisch=chinese|russland=russia|russisch=russian|amerika=america|amerikanisch=american us|usa=us
vereinigte=united|staaten=states|iran=iran|iranisch=iranian|nordkorea=north korea
nordkoreanisch=north korean|sudkorea=south korea|sudkoreanisch=south korean|kanada=canada
kanadisch=canadian|frankreich=france|franzosisch=french|europa=europe|europaisch=european
ukraine=ukraine|ukrainisch=ukrainian|japan=japan|japanisch=japanese|britisch=british|westlich=western
angriff=attack|angriffe=attacks|cyberangriff=cyberattack|angreifer=attacker|hacker=hacker|gehackt=hacked
hacken=hack|einbruch=intrusion breach|datenleck=data breach leak|datenpanne=data breach|leck=leak
geleakt=leaked|durchgesickert=leaked|schwachstelle=vulnerability flaw|sicherheitslucke=vulnerability flaw
lucke=gap flaw|fehler=flaw bug|spionage=espionage|cyberspionage=cyber espionage|spion=spy
spionieren=spy|geheimdienst=intelligence service|nachrichtendienst=intelligence service
militargeheimdienst=military intelligence|geheim=secret|militar=military|militarisch=military
armee=army|streitkrafte=armed forces|volksbefreiungsarmee=people's liberation army pla|einheit=unit
passwort=password|kennwort=password|zwei-faktor-authentifizierung=two-factor authentication
authentifizierung=authentication|anmeldung=login|schadsoftware=malware|malware=malware
erpressungssoftware=ransomware|ransomware=ransomware|bosartig=malicious|hintertur=backdoor
bedrohung=threat|akteur=actor|akteure=actors|gruppe=group|kampagne=campaign|operation=operation
netzwerk=network|gerat=device|gerate=devices|system=system|systeme=systems|zugang=access|zugriff=access
konto=account|konten=accounts|schlussel=key|verschlusselung=encryption|daten=data
personenbezogene=personal|datei=file|dateien=files|dokument=document|dokumente=documents
quellcode=source code|bilder=images|nachrichten=messages news|e-mail=email|e-mails=emails|mail=email
postfach=mailbox|postfacher=mailboxes|cloud=cloud|software=software|update=update|updates=updates
missbrauch=abuse|missbraucht=abused exploited|ausgenutzt=exploited|ausnutzen=exploit|nutzen=use
nutzte=used|genutzt=used|benutzt=used|verwendet=used|verwenden=use|stehlen=steal|gestohlen=stolen
stahl=stole|eingedrungen=penetrated intruded|eindringen=penetrate|infiltriert=infiltrated
zugeschrieben=attributed|zuschreibung=attribution|verantwortlich=responsible|verbunden=linked connected
verknupft=linked|hinter=behind|ziel=target goal|ziele=targets|zielt=targets|angegriffen=attacked
opfer=victim victims|betroffen=affected|betroffene=affected|offengelegt=exposed disclosed
erfolgreich=successful
funktionierte=worked|gescheitert=failed|grund=reason|ursache=cause|methode=method|methoden=methods
technik=technique|techniken=techniques|taktik=tactic|taktiken=tactics|mittel=means
erlangen=obtain|beschaffen=obtain acquire|ubernahme=acquisition|ubernahmen=acquisitions
investition=investment|investitionen=investment|marktanteil=market share|markt=market|kosten=cost
kostet=costs|preis=price|zahlen=pay|verkaufen=sell|verkauft=sold|verkauf=sales|umsatz=sales revenue
umsatze=sales|gewinn=profit|kaufen=buy|gekauft=bought|liefern=deliver supply|geliefert=delivered
lieferung=delivery|erhalten=received|kunde=customer|kunden=customers|unternehmen=company companies
firma=company|firmen=companies|organisation=organization|organisationen=organizations|chip=chip
chips=chips|halbleiter=semiconductor semiconductors|lithografie=lithography|lithographie=lithography
anlage=equipment|anlagen=equipment|ausrustung=equipment|maschine=machine|technologie=technology
technologien=technologies|branche=sector industry|branchen=sectors industries|sektor=sector
sektoren=sectors|industrie=industry|luftfahrt=aviation aerospace|raumfahrt=space aerospace
maritim=maritime|schifffahrt=shipping maritime|hafen=port|hafenkran=port crane|kran=crane|krane=cranes
schiff=ship|schiffe=ships|verteidigung=defense|rustung=defense arms|rustungsindustrie=defense industry
rustungsunternehmen=defense contractors|rustungsfirma=defense contractor|energie=energy|strom=electricity
wasser=water|nuklear=nuclear|atomkraftwerk=nuclear plant|infrastruktur=infrastructure|kritisch=critical
kritische=critical|schwerwiegend=serious severe|risiko=risk|risiken=risks|sicherheit=security
cybersicherheit=cybersecurity|vorfall=incident|vorfalle=incidents|reaktion=response|bewaltigung=handling
handbuch=playbook manual|leitfaden=playbook guide|phase=phase|phasen=phases|vorbereitung=preparation
erkennung=detection|analyse=analysis|eindammung=containment|beseitigung=eradication
wiederherstellung=recovery|richtlinie=directive|anweisung=directive|notfallrichtlinie=emergency directive
bundesbehorden=federal agencies|bundes=federal|behorde=agency authority|behorden=agencies authorities
regierung=government|ministerium=ministry department|verteidigungsministerium=defense department ministry
minister=minister|prasident=president|gesetz=law|gesetzgebung=legislation|sanktionen=sanctions
exportbeschrankung=export restriction|exportbeschrankungen=export restrictions|exportkontrolle=export control
exportkontrollen=export controls|ausfuhr=export|export=export|beschrankung=restriction
beschrankungen=restrictions|beschrankt=restricted|verbot=ban|verboten=banned|lizenz=license
genehmigung=license permit|durfen=allowed|gericht=court|richter=judge|urteil=ruling|entscheidung=decision
visum=visa|abgewiesen=rejected refused barred|abgelehnt=rejected refused|verweigert=refused denied
zugelassen=admitted|verhaftet=arrested|festgenommen=arrested|angeklagt=charged indicted
verurteilt=convicted|polizei=police|staatsanwaltschaft=prosecutor|staatsanwalt=prosecutor|razzia=raid
durchsuchung=raid search|buro=office|buros=offices|betrug=fraud|korruption=corruption
geldwasche=money laundering|fluchtig=fugitive|gesucht=wanted|universitat=university|student=student
studenten=students|forschung=research|forscher=researcher researchers|wissenschaftler=scientist
ingenieur=engineer|mitarbeiter=employee employees|menschen=people|personen=people individuals
burger=citizens|patient=patient|patienten=patients|akte=record|akten=records|wahlen=elections
desinformation=disinformation|falschnachrichten=fake news|nachrichtenseite=news site|webseite=website
webseiten=websites|website=website|einfluss=influence|einflussnahme=influence|propaganda=propaganda
kunstliche=artificial|intelligenz=intelligence|sprachmodell=language model|sprachmodelle=language models
generative=generative|generativ=generative|jahresbericht=annual report|bericht=report|warnung=warning advisory
empfehlung=advisory|gewarnt=warned|benachrichtigt=notified|informiert=informed|gemeldet=reported
sagte=said|sagt=says|erklarte=stated|untersucht=investigated examined|gepruft=examined
untersuchung=investigation probe|kongress=congress|entdeckt=discovered|hergestellt=made manufactured
installiert=installed|botnetz=botnet|router=router|server=server
lieferant=supplier|zulieferer=supplier suppliers|lieferkette=supply chain|hersteller=manufacturer
produzent=manufacturer|hightech=high-tech|lagebild=threat assessment|lagebericht=situation report
anstieg=increase|zunahme=increase|kleine=small|mittelstandische=medium-sized
privatpersonen=private individuals|kamera=camera|verbergen=hide conceal|verschleiern=conceal
verkehr=traffic|entwurf=design|entwurfe=designs
vertrag=contract|vertrage=contracts
"""


def _parse(block: str) -> dict[str, str]:
    table: dict[str, str] = {}
    for line in block.strip().splitlines():
        for entry in line.split("|"):
            key, _, value = entry.partition("=")
            if key.strip() and value.strip():
                table[key.strip()] = value.strip()
    return table


GLOSSARY: dict[str, dict[str, str]] = {"nl": _parse(_NL), "de": _parse(_DE)}
